/**
 * The two alerts that compare with history, shown firing on real data: ApiLatencyIncrease (p95
 * over the last 5 minutes against the same class's p95 over the last day) and ThroughputDrop (user
 * requests per second over the last half hour against the same half hour a week ago).
 *
 * A test cannot wait a week, so the history is backfilled, as an operator backfills a new
 * Prometheus: the API runs as a process and serves searches (cache hits, fast) while a first real
 * Prometheus scrapes it; the test reads back every user-traffic series of the HTTP histogram that
 * Prometheus stored (label sets as scraped: route, method, status, class, bucket, job, instance,
 * namespace, pod) with its rate over the recording, and writes those series, at those rates, for a
 * day (up to 35 minutes ago) and for an hour around the same time a week ago, in the OpenMetrics
 * format; `promtool tsdb create-blocks-from openmetrics` turns it into blocks in the data directory
 * of the Prometheus that then scrapes the same API with the platform's generated rules. The
 * current conditions are then driven live: no traffic (throughput fell), then searches that miss
 * the cache while a transaction keeps locking the students table (latency rose). Each alert must go
 * pending or firing with every annotation rendered.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_ALERTS, DEFAULT_SLA } from '../platform-api/v1alpha1/index.js';
import { METRIC } from '../core/metric-names.js';
import { call, createTestEnvironment, type TestEnvironment } from '../testing/api.js';
import { eventually } from '../testing/eventually.js';
import { spawnApi, stopProcess } from '../testing/platform-processes.js';
import { startPrometheus, type ScrapeTarget, type TestPrometheus } from '../testing/prometheus.js';
import { THROUGHPUT_BASELINE_OFFSET } from './degradation-rules.js';
import { activeAlert, assertRenderedFully } from './fired.js';
import { USER_TRAFFIC } from './recording-rules.js';
import { buildRuleGroups } from './rules.js';
import { isAlertingRule, type RuleGroup } from './rule-types.js';

const NAMESPACE = 'alerts-baseline';
const POD = 'campus-api-6c9f7d5b8-k4m2p';
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const WEEK = 7 * DAY;
/** How long the recording Prometheus watches the API serve searches. */
const RECORDING_MS = 90_000;
/** Backfilled samples are this far apart (a common scrape interval). */
const STEP_MS = 15_000;
const ALERT_DEADLINE_MS = 300_000;

/** A series as Prometheus stored it: its labels, its value at the start of the recording and its rate per second. */
interface RecordedSeries {
  labels: Record<string, string>;
  start: number;
  perSecond: number;
}

describe('alerts that compare with history fire on real data', { timeout: 30 * 60_000 }, () => {
  let env: TestEnvironment;
  let api: Awaited<ReturnType<typeof spawnApi>>;
  let prometheus: TestPrometheus | undefined;
  let groups: RuleGroup[];
  let token: string;
  let targets: ScrapeTarget[];

  before(async () => {
    env = await createTestEnvironment('alerts-baseline');
    api = await spawnApi(env.env);
    token = await env.tokenFor('staff');
    for (let i = 0; i < 20; i++) await env.insertStudent({ programme: 'engineering' });
    targets = [{ job: 'api', address: api.metricsAddress, labels: { namespace: NAMESPACE, pod: POD } }];
    groups = buildRuleGroups(DEFAULT_ALERTS, DEFAULT_SLA, {
      workloadMatchers: { namespace: NAMESPACE },
      platformMatchers: { platform: 'campus', platform_namespace: NAMESPACE },
      maxFor: '5s',
    });
  });

  after(async () => {
    await prometheus?.stop();
    if (api) await stopProcess(api.child).catch(() => undefined);
    await env?.teardown();
  });

  it('a week of history backfilled from real scrapes; throughput gone, then latency up', async () => {
    const recorded = await recordUserTraffic(targets, api.url, token);
    assert.ok(
      recorded.some((s) => s.labels.__name__ === `${METRIC.httpServerDuration}_count` && s.perSecond > 1),
      'the recording saw searches served',
    );
    const now = Date.now();
    const history = openMetrics(recorded, [
      // The same time a week ago, with room for the half hour ThroughputDrop reads at any point of the test.
      { from: now - WEEK - 40 * MINUTE, to: now - WEEK + 30 * MINUTE },
      // The last day, ending before the half hour the current throughput is read over.
      { from: now - DAY + 5 * MINUTE, to: now - 35 * MINUTE },
    ]);
    prometheus = await startPrometheus(targets, '1s', { ruleGroups: groups, backfill: history });

    // No user requests now: the last half hour's throughput is far below last week's.
    await expectAlert('ThroughputDrop', { namespace: NAMESPACE });

    // Searches that miss the cache while a long transaction keeps locking the students table (as a
    // migration or a stuck batch job would): each waits for the lock inside the API, a second or so.
    const locking = lockTableRepeatedly(env, 'students');
    let searching = true;
    const search = async (client: number) => {
      for (let i = 0; searching; i++)
        await call(api.url, 'GET', `/students/search?q=c${client}n${i}&limit=20`, { token }).catch(() => undefined);
    };
    // Six clients: over the 1 request a second the alert needs to speak for the class.
    const searches = Promise.all([0, 1, 2, 3, 4, 5].map(search));
    try {
      await expectAlert('ApiLatencyIncrease', { namespace: NAMESPACE, sla_class: 'student_queries' });
    } finally {
      searching = false;
      await locking.stop();
      await searches;
    }
  });

  async function expectAlert(name: string, labels: Record<string, string>): Promise<void> {
    const rule = groups.flatMap((g) => g.rules.filter(isAlertingRule)).find((r) => r.alert === name);
    assert.ok(rule, `no rule ${name}`);
    const url = (prometheus as TestPrometheus).url;
    const alert = await eventually(() => activeAlert(url, name, labels), `${name} to go pending or firing`, ALERT_DEADLINE_MS).catch(
      async (error: unknown) => {
        // What the rule compared, for whoever reads the failure.
        const read = async (query: string) =>
          JSON.stringify(((await (await fetch(`${url}/api/v1/query?${new URLSearchParams({ query })}`)).json()) as { data: unknown }).data);
        throw new Error(`${(error as Error).message}; ${rule.expr} — ${await read(rule.expr.split('\n')[0] ?? '')}`, { cause: error });
      },
    );
    assertRenderedFully(rule, alert);
  }
});

/**
 * Serves searches (the same terms: cache hits) for RECORDING_MS while a real Prometheus scrapes the
 * API, and returns every user-traffic series of the HTTP histogram it stored, with its rate.
 */
async function recordUserTraffic(targets: ScrapeTarget[], url: string, token: string): Promise<RecordedSeries[]> {
  const recorder = await startPrometheus(targets, '1s');
  try {
    const until = Date.now() + RECORDING_MS;
    const client = async () => {
      while (Date.now() < until) assert.equal((await call(url, 'GET', '/students/search?q=engineering&limit=20', { token })).status, 200);
    };
    await Promise.all([client(), client()]);
    const selector = `{__name__=~"${METRIC.httpServerDuration}_(count|bucket)", ${USER_TRAFFIC}}[${Math.round(RECORDING_MS / 1000)}s]`;
    const params = new URLSearchParams({ query: selector, time: String(Date.now() / 1000) });
    const body = (await (await fetch(`${recorder.url}/api/v1/query?${params}`)).json()) as {
      data: { result: { metric: Record<string, string>; values: [number, string][] }[] };
    };
    return body.data.result.flatMap(({ metric, values }) => {
      const first = values[0];
      const last = values[values.length - 1];
      if (!first || !last || last[0] <= first[0]) return [];
      return [{ labels: metric, start: Number(first[1]), perSecond: (Number(last[1]) - Number(first[1])) / (last[0] - first[0]) }];
    });
  } finally {
    await recorder.stop();
  }
}

/**
 * The recorded series over `periods` (earliest first), in the OpenMetrics text format: each series
 * grows at its recorded rate from its recorded value, a sample every STEP_MS, so counters never go
 * back within the history; all samples of one metric name together, as the format requires.
 */
function openMetrics(series: readonly RecordedSeries[], periods: readonly { from: number; to: number }[]): string {
  const origin = periods[0]?.from ?? 0;
  const byName = new Map<string, RecordedSeries[]>();
  for (const s of series) byName.set(s.labels.__name__ as string, [...(byName.get(s.labels.__name__ as string) ?? []), s]);
  const lines: string[] = [];
  for (const [name, members] of byName) {
    for (const s of members) {
      const labels = Object.entries(s.labels)
        .filter(([key]) => key !== '__name__')
        .map(([key, value]) => `${key}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)
        .join(',');
      for (const { from, to } of periods)
        for (let t = from; t <= to; t += STEP_MS) {
          const value = s.start + (s.perSecond * (t - origin)) / 1000;
          lines.push(`${name}{${labels}} ${Number(value.toFixed(3))} ${t / 1000}`);
        }
    }
  }
  return `${lines.join('\n')}\n# EOF\n`;
}

/** Takes an ACCESS EXCLUSIVE lock on `table` for a second, lets go for half a second, and again, until stopped. */
function lockTableRepeatedly(env: TestEnvironment, table: string): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      await env.knex.transaction(async (trx) => {
        await trx.raw('LOCK TABLE ?? IN ACCESS EXCLUSIVE MODE', [table]);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

// The offset the rule reads is the week backfilled here.
assert.equal(THROUGHPUT_BASELINE_OFFSET, '1w');
