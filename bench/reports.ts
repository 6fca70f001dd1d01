/**
 * Reports benchmark: each report type built end to end (enqueued → worker → queries → CSV and
 * HTML stored → `completed`) over 1,000,000+ access logs spread across one year, beside the SLA
 * for complex reports. Runs on a fresh database; `tsx bench/reports.ts [rows]` runs it alone.
 */
import { rm } from 'node:fs/promises';
import type { Knex } from 'knex';
import { ensureAccessLogPartitions } from '../api/access-logs/partitions.js';
import { bulkLoadAccessLogs } from '../scripts/bulk-access-logs.js';
import { normaliseReportRequest, reportRequestHash, type ReportType } from '../core/report-request.js';
import { SLA_CLASSES } from '../core/sla.js';
import { createTestEnvironment } from '../testing/api.js';
import { eventually } from '../testing/eventually.js';
import { startTestWorkers } from '../testing/worker-process.js';
import { percentile, type BenchContext, type BenchRow } from './harness.js';

const YEAR = { from: '2025-01-01', to: '2025-12-31' };

/** What each type is asked for: a realistic range for its kind. */
const REQUESTS: { type: ReportType; range: { from: string; to: string } }[] = [
  { type: 'daily-summary', range: { from: '2025-06-01', to: '2025-06-30' } },
  { type: 'weekly-trends', range: { from: '2024-12-30', to: '2025-12-28' } },
  { type: 'monthly', range: YEAR },
  { type: 'annual', range: YEAR },
];

/**
 * Access logs over one year, in one bulk load: students, gates, directions and outcomes in
 * fixed proportions (about 1 in 12 refused), times spread by a fixed hash so runs compare.
 * Also students, applications and passes, so the monthly and annual reports have all their parts.
 */
export async function seedReportData(knex: Knex, accessLogs: number): Promise<void> {
  await ensureAccessLogPartitions(knex, { from: new Date(`${YEAR.from}T00:00:00Z`), to: new Date(`${YEAR.to}T00:00:00Z`) });
  await knex.raw(`
    insert into students (student_id, first_name, last_name, email, programme, year_of_study)
    select 'BN2025' || lpad(i::text, 6, '0'), 'First' || i, 'Last' || i, 'bench' || i || '@university.edu', 'engineering', 1 + i % 4
      from generate_series(1, 2000) i`);
  // One bulk load (scripts/bulk-access-logs.ts): generated inside Postgres, rollups built once.
  await bulkLoadAccessLogs(knex, {
    sql: `with s as (select array_agg(id order by student_id) as ids from students)
          select timestamptz '2025-01-01 00:00:00+00' + ((i * 2654435761) % 31536000) * interval '1 second', null::uuid,
                 s.ids[1 + i % array_length(s.ids, 1)],
                 (array['north', 'south', 'east', 'west', 'library'])[1 + (i * 7) % 5],
                 case when i % 2 = 0 then 'entry' else 'exit' end,
                 case when i % 20 = 0 then 'expired' when i % 33 = 0 then 'revoked' else 'valid' end
            from generate_series(1, ?::bigint) i, s`,
    bindings: [accessLogs],
  });
  await knex.raw(`
    with s as (select array_agg(id order by student_id) as ids from students)
    insert into applications (student_id, pass_type, reason, requested_valid_from, requested_valid_until, status, submitted_at, decided_at)
    select s.ids[1 + i % 2000], 'standard', 'bench', '2025-01-01', '2026-01-01',
           (array['approved', 'rejected', 'submitted'])[1 + i % 3],
           timestamptz '2025-01-01 00:00:00+00' + (i % 360) * interval '1 day',
           case when i % 3 < 2 then timestamptz '2025-01-01 00:00:00+00' + (i % 360) * interval '1 day' + interval '30 hours' end
      from generate_series(1, 20000) i, s`);
  await knex.raw(`
    insert into passes (student_id, pass_type, valid_from, valid_until, key_id, qr_token, qr_code_hash, created_at)
    select student_id, 'standard', '2025-01-01', '2026-01-01', 'bench', md5(id::text), md5(id::text || 'h'), decided_at
      from applications where status = 'approved'`);
  await knex.raw('analyze applications, passes');
}

/** Rows: report latencies beside the complex-report SLA; `rps` is reports per second, one at a time. */
export async function benchReports(
  ctx?: Pick<BenchContext, 'log'>,
  options: { accessLogs?: number; runs?: number } = {},
): Promise<BenchRow[]> {
  const accessLogs = options.accessLogs ?? 1_000_000;
  const runs = options.runs ?? 3;
  const env = await createTestEnvironment('bench-reports');
  Object.assign(env.env, { WORKER_QUEUES: 'reports', LOG_LEVEL: 'silent' });
  const api = await env.start();
  const workers = await startTestWorkers(env.env);
  const rows: BenchRow[] = [];
  try {
    ctx?.log(`seeding ${accessLogs} access logs`);
    await seedReportData(env.knex, accessLogs);
    for (const { type, range } of REQUESTS) {
      const times: number[] = [];
      for (let run = 0; run < runs; run++) {
        const request = normaliseReportRequest({ type, range }, new Date());
        // A distinct hash per run: deduplication would otherwise hand back the first run's report.
        const hash = `${reportRequestHash(request, new Date(), 1)}-${run}`;
        const [row] = await env
          .knex('reports')
          .insert({ type, range_from: range.from, range_to: range.to, filters: '{}', request_hash: hash })
          .returning('id');
        const t0 = performance.now();
        await api.deps.queues.enqueueReport(row.id);
        await eventually(
          async () => {
            const report = (await env.knex('reports').where({ id: row.id }).first('status', 'error')) as {
              status: string;
              error: string | null;
            };
            if (report.status === 'failed') throw new Error(`report failed: ${report.error}`);
            return report.status === 'completed' ? true : undefined;
          },
          'the report to finish',
          300_000,
        );
        times.push(performance.now() - t0);
      }
      const sorted = [...times].sort((a, b) => a - b);
      const [p50, p95, p99] = [50, 95, 99].map((p) => Math.round(percentile(sorted, p)));
      const slaMs = SLA_CLASSES.reports.p95Seconds * 1000;
      rows.push({
        name: `report ${type} (${range.from}..${range.to}) over ${accessLogs.toLocaleString('en-GB')} access logs, enqueue → completed`,
        rps: 1000 / (p50 ?? 1),
        p50: p50 ?? 0,
        p95: p95 ?? 0,
        p99: p99 ?? 0,
        errors: 0,
        ceilingName: 'SLA: complex reports p95',
        ceilingRps: 1000 / slaMs,
        notes: `p95 ${p95} ms vs SLA ${slaMs} ms${type === 'annual' ? '; seed annual analytics figure to beat: 4800 ms' : ''}`,
      });
    }
  } finally {
    await workers.stop();
    await env.teardown();
    await rm(env.env.STORAGE_DIR!, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchReports({ log: (m) => console.log(m) }, { accessLogs: Number(process.argv[2] ?? 1_000_000) }).then(
    (rows) => console.table(rows),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
