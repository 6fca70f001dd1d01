/**
 * The injected faults, one function each. Every scenario runs the gate load through the fault and
 * past the dependency's return, then counts: answers by status, wrong verdicts, answered
 * verifications without exactly one access-log row, and how long readiness took to come back.
 */
import type { Knex } from 'knex';
import { samplePdf } from '../worker-process.js';
import { call } from '../api.js';
import { eventually } from '../eventually.js';
import type { ChaosEnvironment } from './environment.js';
import type { GateLoad, GateTally } from './gate-load.js';
import { RouteLatency, secondsUntilReady, sleep } from './probes.js';

export interface ScenarioResult {
  name: string;
  requests: number;
  byStatus: Record<string, number>;
  validRefused: number;
  revokedAccepted: number;
  lostRows: number;
  doubledRows: number;
  jobs?: { lost: number; doubled: number; pickupSeconds: number[] };
  recoverySeconds?: number;
  /** p99 of Postgres-only routes while Redis hangs. */
  p99Ms?: number;
  notes: string[];
}

export interface Scenario {
  name: string;
  run(world: ChaosEnvironment, gates: GateLoad): Promise<ScenarioResult>;
}

/** Request ids answered 200 that have no row, and those with more than one. */
async function countRows(knex: Knex, label: string, answered: string[]): Promise<{ lost: number; doubled: number }> {
  const counts = new Map<string, number>();
  const rows = (await knex('access_logs')
    .select('request_id')
    .count('* as n')
    .where('request_id', 'like', `${label}-%`)
    .groupBy('request_id')) as { request_id: string; n: string }[];
  for (const row of rows) counts.set(row.request_id, Number(row.n));
  return { lost: answered.filter((id) => !counts.has(id)).length, doubled: [...counts.values()].filter((n) => n > 1).length };
}

/** Waits (generously) for the API to move every answered verification into Postgres, then counts. */
async function settledRows(world: ChaosEnvironment, label: string, tally: GateTally): Promise<{ lost: number; doubled: number }> {
  let last = { lost: tally.answered.length, doubled: 0 };
  await eventually(
    async () => {
      last = await countRows(world.knex, label, tally.answered);
      return last.lost === 0;
    },
    'every answered verification to have its row',
    30_000,
  ).catch(() => undefined);
  return last;
}

async function revokeSome(world: ChaosEnvironment, gates: GateLoad, count: number, notes: string[]): Promise<void> {
  for (let i = 0; i < count; i++) {
    const pass = gates.takeForRevocation();
    if (!pass) {
      notes.push('no idle pass to revoke');
      return;
    }
    const started = performance.now();
    const res = await call(world.url, 'POST', `/passes/${pass.id}/revoke`, {
      token: world.tokens.staff,
      body: { reason: 'reported lost during chaos' },
    });
    notes.push(`revoke answered ${res.status} in ${Math.round(performance.now() - started)} ms`);
    if (res.status === 200) gates.markRevoked(pass);
  }
}

async function readyStatus(world: ChaosEnvironment): Promise<number> {
  return (await call(world.url, 'GET', '/ready')).status;
}

/** Runs the gate load around `fault`, which returns the recovery time and any extras. */
async function underGateLoad(
  name: string,
  world: ChaosEnvironment,
  gates: GateLoad,
  fault: (notes: string[]) => Promise<Partial<ScenarioResult>>,
): Promise<ScenarioResult> {
  const notes: string[] = [];
  gates.start(name);
  await sleep(3_000);
  const extra = await fault(notes);
  await sleep(5_000);
  const tally = await gates.stop();
  const rows = await settledRows(world, name, tally);
  const sorted = [...tally.latencies].sort((a, b) => a - b);
  const pct = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * q) - 1)] ?? NaN);
  notes.push(`verify latency p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${pct(1)} ms`);
  if (tally.degraded) notes.push(`${tally.degraded} answered from Postgres (degraded)`);
  if (tally.refusals.length) notes.push(`wrong refusals: ${tally.refusals.slice(0, 5).join('; ')}`);
  return {
    name,
    requests: tally.requests,
    byStatus: tally.byStatus,
    validRefused: tally.validRefused,
    revokedAccepted: tally.revokedAccepted,
    lostRows: rows.lost,
    doubledRows: rows.doubled,
    notes,
    ...extra,
  };
}

const redisHang: Scenario = {
  name: 'redis-sigstop-20s',
  run: (world, gates) =>
    underGateLoad('redis-sigstop-20s', world, gates, async (notes) => {
      const latency = new RouteLatency(
        world.url,
        world.tokens.staff,
        ['/students?limit=5', '/students/search?q=chaos&limit=5', '/health'],
        6,
      );
      world.redis.pause();
      latency.start();
      let measured: Awaited<ReturnType<RouteLatency['stop']>>;
      try {
        await sleep(5_000);
        await revokeSome(world, gates, 2, notes);
        await sleep(5_000);
        notes.push(`ready during the hang: ${await readyStatus(world)}`);
        await sleep(10_000);
        measured = await latency.stop();
      } finally {
        world.redis.resume();
      }
      notes.push(
        `Postgres-only routes: ${measured.samples} requests, non-200: ${JSON.stringify(measured.failures)}, slowest: ${measured.slowest.join('; ')}`,
      );
      return { recoverySeconds: await secondsUntilReady(world.url), p99Ms: measured.p99Ms };
    }),
};

const redisRestart: Scenario = {
  name: 'redis-kill9-aof-restart',
  run: (world, gates) =>
    underGateLoad('redis-kill9-aof-restart', world, gates, async (notes) => {
      await world.redis.kill();
      await sleep(10_000);
      notes.push(`ready while Redis is dead: ${await readyStatus(world)}`);
      await world.redis.restart();
      return { recoverySeconds: await secondsUntilReady(world.url) };
    }),
};

const postgresStop: Scenario = {
  name: 'postgres-fast-stop-20s',
  run: (world, gates) =>
    underGateLoad('postgres-fast-stop-20s', world, gates, async (notes) => {
      world.postgres.stopFast();
      try {
        await sleep(10_000);
        notes.push(`ready during the outage: ${await readyStatus(world)}`);
        await sleep(10_000);
      } finally {
        world.postgres.start();
      }
      return { recoverySeconds: await secondsUntilReady(world.url) };
    }),
};

const apiSigterm: Scenario = {
  name: 'api-sigterm',
  run: (world, gates) =>
    underGateLoad('api-sigterm', world, gates, async (notes) => {
      notes.push(`api exit: ${String(await world.stopApi())}`);
      await world.startApi();
      return { recoverySeconds: await secondsUntilReady(world.url) };
    }),
};

const apiSigtermWithoutPostgres: Scenario = {
  name: 'api-sigterm-postgres-down',
  run: (world, gates) =>
    underGateLoad('api-sigterm-postgres-down', world, gates, async (notes) => {
      world.postgres.stopFast();
      try {
        await sleep(5_000);
        notes.push(`api exit: ${String(await world.stopApi())}`);
        await world.startApi();
        await sleep(5_000);
      } finally {
        world.postgres.start();
      }
      const recoverySeconds = await secondsUntilReady(world.url);
      // The restarted API answers from Postgres until its revocation set loads (one re-read,
      // PASS_REVOCATION_SYNC_MS), then from Redis again: keep the load through that switch, where
      // Redis's memory from before the restart would contradict the passages answered without it.
      await sleep(12_000);
      return { recoverySeconds };
    }),
};

/** Uploads processed by workers that are SIGKILLed three times, each time in the middle of a job. */
const workerKills: Scenario = {
  name: 'worker-sigkill-3x',
  async run(world) {
    const notes: string[] = [];
    const uploads: string[] = [];
    // Enough jobs that the third kill still finds one waiting to be started.
    for (let i = 0; i < 12; i++) {
      const form = new FormData();
      form.append('file', new Blob([samplePdf(2048 + i)], { type: 'application/pdf' }), `chaos-${i}.pdf`);
      const res = await fetch(`${world.url}/uploads`, {
        method: 'POST',
        headers: { authorization: `Bearer ${world.tokens.student}` },
        body: form,
      });
      if (res.status !== 202) throw new Error(`upload refused: ${res.status}`);
      uploads.push(((await res.json()) as { data: { id: string } }).data.id);
    }
    const row = async (id: string) => (await world.knex('uploads').where({ id }).first()) as { status: string; attempts: number };
    // One job at a time, each pausing mid-job (after its attempt is counted), so a kill always lands in one.
    const workerEnv = { WORKER_TEST_DELAY_MS: '3000', UPLOAD_WORKER_CONCURRENCY: '1' };
    let worker = await world.startWorker(workerEnv);
    const pickupSeconds: number[] = [];
    for (let kill = 0; kill < 3; kill++) {
      const victim = await eventually(
        async () => {
          for (const id of uploads) {
            const r = await row(id);
            if (r.status === 'queued' && r.attempts > 0) return { id, attempts: r.attempts };
          }
          return undefined;
        },
        'a job in flight',
        60_000,
      ).catch(async (err: Error) => {
        throw new Error(`${err.message}; uploads: ${JSON.stringify(await Promise.all(uploads.map(row)))}`);
      });
      worker.child.kill('SIGKILL');
      await worker.exited;
      const killedAt = performance.now();
      worker = await world.startWorker(workerEnv);
      await eventually(async () => (await row(victim.id)).attempts > victim.attempts, 'the killed job to be taken over', 120_000);
      pickupSeconds.push((performance.now() - killedAt) / 1000);
      await eventually(async () => (await row(victim.id)).status === 'ready', 'the killed job to finish', 60_000);
    }
    await eventually(
      async () => (await Promise.all(uploads.map(row))).every((r) => r.status === 'ready'),
      'every upload to be processed',
      180_000,
    ).catch(() => undefined);
    worker.child.kill('SIGTERM');
    await worker.exited;
    const effects = (await world
      .knex('audit_logs')
      .select('entity_id')
      .count('* as n')
      .where({ entity_type: 'upload', event_type: 'upload.ready' })
      .whereIn('entity_id', uploads)
      .groupBy('entity_id')) as { entity_id: string; n: string }[];
    const applied = new Map(effects.map((e) => [e.entity_id, Number(e.n)]));
    const statuses = await Promise.all(uploads.map(row));
    notes.push(`upload statuses: ${statuses.map((s) => s.status).join(', ')}`);
    return {
      name: 'worker-sigkill-3x',
      requests: uploads.length,
      byStatus: { '202': uploads.length },
      validRefused: 0,
      revokedAccepted: 0,
      lostRows: 0,
      doubledRows: 0,
      jobs: {
        lost: uploads.filter((id) => !applied.has(id)).length,
        doubled: [...applied.values()].filter((n) => n > 1).length,
        pickupSeconds,
      },
      notes,
    };
  },
};

export const SCENARIOS: Scenario[] = [redisHang, redisRestart, postgresStop, workerKills, apiSigterm, apiSigtermWithoutPostgres];
