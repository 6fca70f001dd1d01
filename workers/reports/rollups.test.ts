/**
 * The reports read rollups (hourly counts, per-period presence); this checks every figure they
 * take from them against the same figure computed from the access-log rows themselves, on data
 * written the ways production writes it: the bulk seed (generated inside Postgres, 400 days,
 * across a new year) and the API's writer (including a replayed batch, which must add nothing,
 * and refused codes with no student). Ranges cut weeks, months and years, so partial periods
 * (whole months plus days, days alone) are checked as well as whole ones; with and without filters.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import { insertAccessLogs, type AccessLogEntry } from '../../api/access-logs/writer.js';
import { normaliseReportRequest, type ReportFilters, type ReportType } from '../../core/report-request.js';
import { seedAccessLogs, seedPasses } from '../../scripts/seed-passes.js';
import { useTestDatabase } from '../../testing/use-test-environment.js';
import { verificationsJson } from '../../domain/analytics/repository.js';
import { VerificationSeriesView, VerificationsView } from '../../domain/analytics/views.js';
import { REPORT_QUERIES, GRANTED_OUTCOME } from './queries.js';

const DAY_MS = 86_400_000;
const day = (t: number) => new Date(t).toISOString().slice(0, 10);

const TRUNC: Record<ReportType, string> = { 'daily-summary': 'day', 'weekly-trends': 'week', monthly: 'month', annual: 'year' };
const KEY: Record<ReportType, string> = { 'daily-summary': 'day', 'weekly-trends': 'week_start', monthly: 'month', annual: 'year' };

interface RawRow {
  period: string;
  gate: string | null;
  verifications: number;
  granted: number;
  denied: number;
  entries: number;
  exits: number;
  unique_students: number;
}

/** The report's figures straight from `access_logs` (what the reports computed before the rollups). */
async function fromRows(knex: Knex, type: ReportType, range: { from: string; to: string }, filters: ReportFilters) {
  const clauses = [`occurred_at >= ?::timestamptz`, `occurred_at < ?::timestamptz + interval '24 hours'`];
  const bindings: unknown[] = [`${range.from}T00:00:00Z`, `${range.to}T00:00:00Z`];
  if (filters.gates) {
    clauses.push('gate = any(?::text[])');
    bindings.push(filters.gates);
  }
  if (filters.direction) {
    clauses.push('direction = ?');
    bindings.push(filters.direction);
  }
  const period = `to_char(date_trunc('${TRUNC[type]}', occurred_at at time zone 'UTC'), 'YYYY-MM-DD')`;
  const byGate = type === 'daily-summary';
  const main = (
    await knex.raw<{ rows: RawRow[] }>(
      `select ${period} as period, ${byGate ? 'gate' : 'null'} as gate, count(*)::int as verifications,
              (count(*) filter (where outcome = '${GRANTED_OUTCOME}'))::int as granted,
              (count(*) filter (where outcome <> '${GRANTED_OUTCOME}'))::int as denied,
              (count(*) filter (where outcome = '${GRANTED_OUTCOME}' and direction = 'entry'))::int as entries,
              (count(*) filter (where outcome = '${GRANTED_OUTCOME}' and direction = 'exit'))::int as exits,
              count(distinct student_id)::int as unique_students
         from access_logs where ${clauses.join(' and ')} group by 1, 2 order by 1, 2`,
      bindings as Knex.RawBinding[],
    )
  ).rows;
  // Busiest gate, peak hour and busiest month: most verifications, ties to the smallest key.
  const busiest = async (what: string) =>
    new Map(
      (
        await knex.raw<{ rows: { period: string; key: string }[] }>(
          `select distinct on (period) period, key from (
             select ${period} as period, (${what})::text as key, count(*) as n from access_logs where ${clauses.join(' and ')} group by 1, 2
           ) x order by period, n desc, ${what === 'gate' ? 'key' : 'key::int'}`,
          bindings as Knex.RawBinding[],
        )
      ).rows.map((r) => [r.period, r.key]),
    );
  return {
    main,
    gate: await busiest('gate'),
    hour: await busiest(`extract(hour from occurred_at at time zone 'UTC')::int`),
    month: await busiest(`to_char(occurred_at at time zone 'UTC', 'YYYYMM')`),
  };
}

describe('reports from rollups equal reports from the rows', () => {
  const data = useTestDatabase('report-rollups', 4, 120_000);
  let newest = 0;

  before(async () => {
    await data.knex.raw(`insert into students (student_id, first_name, last_name, email, programme, year_of_study)
      select 'RR2026' || lpad(i::text, 4, '0'), 'F' || i, 'L' || i, 'rr' || i || '@university.edu', 'law', 1 from generate_series(1, 300) i`);
    await seedPasses(data.knex, { count: 400 });
    await seedAccessLogs(data.knex, { count: 60_000, days: 400 });
    // The writer's path: a batch, the same batch replayed (entries already present add nothing),
    // refused codes that name no student.
    const students = (await data.knex('students').limit(20).pluck('id')) as string[];
    const now = Date.now();
    const batch: AccessLogEntry[] = students.flatMap((studentId, i) => [
      {
        entryId: randomUUID(),
        occurredAt: new Date(now - i * 3_600_000),
        passId: null,
        studentId,
        gate: 'writer-gate',
        direction: i % 2 ? 'exit' : 'entry',
        outcome: 'valid',
        verifiedBy: null,
        requestId: null,
      },
      {
        entryId: randomUUID(),
        occurredAt: new Date(now - i * 7_200_000),
        passId: null,
        studentId: null,
        gate: 'main-gate',
        direction: 'entry',
        outcome: 'forged',
        verifiedBy: null,
        requestId: null,
      },
    ]);
    await insertAccessLogs(data.knex, batch);
    await insertAccessLogs(data.knex, batch);
    newest = now;
  });

  const requests = (): { type: ReportType; range: { from: string; to: string } }[] => {
    const year = new Date(newest).getUTCFullYear();
    return [
      { type: 'daily-summary', range: { from: day(newest - 40 * DAY_MS), to: day(newest) } },
      { type: 'weekly-trends', range: { from: day(newest - 200 * DAY_MS), to: day(newest - 3 * DAY_MS) } },
      { type: 'monthly', range: { from: day(newest - 380 * DAY_MS), to: day(newest - 9 * DAY_MS) } },
      { type: 'annual', range: { from: `${year - 1}-01-01`, to: `${year}-12-31` } },
      { type: 'annual', range: { from: day(newest - 390 * DAY_MS), to: day(newest - 20 * DAY_MS) } },
    ];
  };
  const filterSets: ReportFilters[] = [
    {},
    { gates: ['library', 'main-gate'] },
    { direction: 'entry' },
    { gates: ['north-gate', 'writer-gate'], direction: 'exit' },
  ];

  it('the seeded rows and the writer path are all counted, replays once', async () => {
    const [{ n }] = (await data.knex('access_logs').count('* as n')) as [{ n: string }];
    assert.equal(Number(n), 60_040);
    const [{ rolled }] = (await data.knex('access_log_hourly').sum('count as rolled')) as [{ rolled: string }];
    assert.equal(Number(rolled), 60_040);
  });

  for (const filters of filterSets) {
    it(`every report type, whole and cut periods, filters ${JSON.stringify(filters)}`, async () => {
      let compared = 0;
      for (const { type, range } of requests()) {
        const report = await REPORT_QUERIES[type](data.knex, normaliseReportRequest({ type, range, filters }, new Date(newest)));
        const raw = await fromRows(data.knex, type, range, filters);
        const byPeriod = new Map(raw.main.map((r) => [`${r.period}|${r.gate ?? ''}`, r]));
        const key = KEY[type];
        const reportRows = report.rows.filter((r) => type !== 'weekly-trends' || Number(r.verifications) > 0);
        assert.equal(reportRows.length, raw.main.length, `${type} ${range.from}..${range.to}: periods with verifications`);
        for (const row of reportRows) {
          const cell = String(row[key]);
          const period = type === 'monthly' ? `${cell}-01` : type === 'annual' ? `${cell}-01-01` : cell;
          const expected = byPeriod.get(`${period}|${type === 'daily-summary' ? String(row.gate) : ''}`);
          const where = `${type} ${range.from}..${range.to} ${JSON.stringify(filters)} ${cell} ${String(row.gate ?? '')}`;
          assert.ok(expected, `${where}: no such period in the rows`);
          assert.deepEqual(
            [row.verifications, row.granted, row.denied, row.unique_students],
            [expected.verifications, expected.granted, expected.denied, expected.unique_students],
            where,
          );
          if (type === 'daily-summary') assert.deepEqual([row.entries, row.exits], [expected.entries, expected.exits], where);
          if (type === 'monthly' || type === 'annual') {
            assert.equal(row.busiest_gate, raw.gate.get(period), `${where}: busiest gate`);
            assert.equal(String(row.peak_hour), raw.hour.get(period), `${where}: peak hour`);
          }
          if (type === 'annual') assert.equal(String(row.busiest_month).replace('-', ''), raw.month.get(period), `${where}: busiest month`);
          compared++;
        }
      }
      assert.ok(compared > 50, `compared ${compared} rows`);
    });
  }

  it('analytics (hourly and daily buckets per gate, totals by outcome) equal the rows, with and without a gate', async () => {
    const HOUR = 3_600_000;
    const hourNow = Math.floor(newest / HOUR) * HOUR;
    for (const [granularity, hours, back] of [
      ['hour', 30, 0],
      ['hour', 624, 50],
      ['day', 24 * 90, 0],
      ['day', 24 * 400, 24 * 3],
    ] as const) {
      for (const gate of [undefined, 'library', 'writer-gate']) {
        const from = new Date(
          granularity === 'day' ? Math.floor((hourNow - back * HOUR - hours * HOUR) / DAY_MS) * DAY_MS : hourNow - (back + hours) * HOUR,
        );
        const to = new Date(
          granularity === 'day' ? Math.floor((hourNow - back * HOUR) / DAY_MS) * DAY_MS + DAY_MS : hourNow - back * HOUR + HOUR,
        );
        // The answer as the API sends it (JSON text written by Postgres): it must be the declared shape.
        const answer = VerificationsView.parse(JSON.parse(await verificationsJson(data.knex, { granularity, from, to, gate })));
        const where = `occurred_at >= ? and occurred_at < ?${gate ? ' and gate = ?' : ''}`;
        const bindings = [from, to, ...(gate ? [gate] : [])];
        const buckets = (
          await data.knex.raw<{ rows: { bucket: Date; gate: string; total: number; valid: number; entries: number; exits: number }[] }>(
            `select date_trunc('${granularity}', occurred_at, 'UTC') as bucket, gate, count(*)::int as total,
                    (count(*) filter (where outcome = 'valid'))::int as valid,
                    (count(*) filter (where outcome = 'valid' and direction = 'entry'))::int as entries,
                    (count(*) filter (where outcome = 'valid' and direction = 'exit'))::int as exits
               from access_logs where ${where} group by 1, 2 order by 1, 2`,
            bindings,
          )
        ).rows.map((r) => ({ ...r, bucket: r.bucket.toISOString(), invalid: r.total - r.valid }));
        const outcomes = (
          await data.knex.raw<{ rows: { outcome: string; n: number }[] }>(
            `select outcome, count(*)::int as n from access_logs where ${where} group by 1`,
            bindings,
          )
        ).rows;
        const label = `${granularity} ${from.toISOString()}..${to.toISOString()} gate ${gate ?? '*'}`;
        // The writer's gate has rows in the last day only.
        if (gate !== 'writer-gate' || back === 0) assert.ok(buckets.length > 0, `${label}: rows to compare`);
        assert.deepEqual(
          { granularity: answer.granularity, from: answer.from, to: answer.to },
          { granularity, from: from.toISOString(), to: to.toISOString() },
          label,
        );
        assert.deepEqual(answer.buckets, buckets, label);
        assert.deepEqual(answer.outcomes, Object.fromEntries(outcomes.map((o) => [o.outcome, o.n])), label);
        // Largest first, as the rows were ordered before the text was written by Postgres.
        const counts = Object.values(answer.outcomes);
        assert.deepEqual(
          counts,
          [...counts].sort((x, y) => y - x),
          `${label}: outcomes by count`,
        );
        // The series layout: the same figures per gate, one value per bucket of the range, 0 where none.
        const series = VerificationSeriesView.parse(
          JSON.parse(await verificationsJson(data.knex, { granularity, from, to, gate, layout: 'series' })),
        );
        const step = granularity === 'hour' ? HOUR : DAY_MS;
        const slots = (to.getTime() - from.getTime()) / step;
        assert.deepEqual(Object.keys(series.gates).sort(), [...new Set(buckets.map((b) => b.gate))].sort(), `${label}: series gates`);
        const fromSeries = [];
        for (let i = 0; i < slots; i++) {
          for (const [name, figures] of Object.entries(series.gates).sort(([x], [y]) => (x < y ? -1 : 1))) {
            for (const values of Object.values(figures)) assert.equal(values.length, slots, `${label}: ${name} has a value per bucket`);
            if (figures.total[i] === 0) continue;
            fromSeries.push({
              bucket: new Date(from.getTime() + i * step).toISOString(),
              gate: name,
              total: figures.total[i],
              valid: figures.valid[i],
              entries: figures.entries[i],
              exits: figures.exits[i],
              invalid: figures.invalid[i],
            });
          }
        }
        assert.deepEqual(fromSeries, buckets, `${label}: series`);
        assert.deepEqual(series.outcomes, answer.outcomes, `${label}: series outcomes`);
      }
    }
  });
});
