/**
 * The report for a simulated week reconciled by hand, to the cent: every line recomputed here from
 * the inputs alone (replica counts over time × the price of one replica-hour, worked out from the
 * spec's prices and sizing in the comments below, not by prices.ts), then the totals, the fixed
 * fleet over the hours the platform existed (it starts mid-month), the seed's fleet prorated over
 * the same hours, the cost per active user normalised to a month, and the costliest decision. The
 * seed's shared services (load balancer $45, CDN $25, monitoring $35 a month) are a line of their own,
 * item by item, over the hours the platform existed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReplicaChange, ScalingDecisionRecord } from '../../platform-api/v1alpha1/index.js';
import { at, TEST_PRICES, TEST_SHAPES } from './fixtures.js';
import { appendChanges, appendPrices, emptyHistory } from './history-document.js';
import { computeCostReport } from './report.js';

const HOUR = 3_600_000;
/** One replica-hour, from TEST_PRICES (0.04/vCPU-h, 0.005/GiB-h, 0.5/instance-h, 0.1/node-h, 0.073/GiB-month of 730 h) and TEST_SIZING. */
const RATE = {
  api: 0.5 * 0.04 + 1 * 0.005, // 500m, 1Gi
  'worker-uploads': 1 * 0.04 + 2 * 0.005, // 1 CPU, 2Gi
  'worker-reports': 0.25 * 0.04 + 0.5 * 0.005, // 250m, 512Mi
  'postgres-primary': 0.5 + (10 * 0.073) / 730, // an instance and its 10 GiB volume
  'postgres-replicas': 0.5 + (10 * 0.073) / 730,
  'redis-shards': 2 * (0.1 + (1 * 0.073) / 730), // primary + one replica, 1 GiB each
  'shared-services': (45 + 25 + 35) / 730, // $105 a month of 730 hours
} as const;
const SHARED_COSTS = [
  { name: 'load-balancer', monthly: 45 },
  { name: 'cdn', monthly: 25 },
  { name: 'monitoring', monthly: 35 },
];
type Line = keyof typeof RATE;

/** The platform is created on Wed 2 Dec 2026 at 09:17 and runs a week with a daily cycle. */
const START = at('2026-12-02T09:17:00Z');
const END = START + 7 * 24 * HOUR;

function simulatedWeek(): { changes: ReplicaChange[]; decisions: ScalingDecisionRecord[] } {
  const changes: ReplicaChange[] = [
    { component: 'api', at: START, replicas: 2 },
    { component: 'worker-uploads', at: START, replicas: 1 },
    { component: 'worker-reports', at: START, replicas: 0 },
    { component: 'postgres-replicas', at: START, replicas: 1 },
    { component: 'redis-shards', at: START, replicas: 3 },
  ];
  const decisions: ScalingDecisionRecord[] = [];
  const change = (component: Line, time: number, from: number, to: number, reason: string) => {
    changes.push({ component: component as ReplicaChange['component'], at: time, replicas: to });
    decisions.push({
      component: component as ScalingDecisionRecord['component'],
      from,
      to,
      time: new Date(time).toISOString(),
      reason,
      signals: {},
    });
  };
  for (let day = 0; day < 7; day++) {
    const morning = at('2026-12-03T07:40:00Z') + (day - 1) * 24 * HOUR;
    if (morning > START) change('api', morning, 2, 6, 'morning peak');
    if (morning + 10.5 * HOUR > START) change('api', morning + 10.5 * HOUR, 6, 2, 'evening');
    const batch = morning + 14 * HOUR + 20 * 60_000;
    change('worker-reports', batch, 0, 2, 'reports queued');
    change('worker-reports', batch + 45 * 60_000, 2, 0, 'queue drained');
  }
  return { changes: changes.sort((a, b) => a.at - b.at), decisions };
}

/** Replica-hours of `line` in [from, to), read straight from the changes. */
function replicaHours(changes: readonly ReplicaChange[], line: Line, from: number, to: number): { hours: number; peak: number } {
  const own = changes.filter((c) => c.component === line);
  let hours = 0;
  let peak = 0;
  own.forEach((c, i) => {
    const next = own[i + 1]?.at ?? Number.POSITIVE_INFINITY;
    const a = Math.max(c.at, from);
    const b = Math.min(next, to);
    if (b > a) {
      hours += (c.replicas * (b - a)) / HOUR;
      peak = Math.max(peak, c.replicas);
    }
  });
  return { hours, peak };
}

const cents = (value: number) => Math.round(value * 100);

describe('the cost report of a simulated week, reconciled by hand', () => {
  const { changes, decisions } = simulatedWeek();
  const now = END;
  const users = 2_400;
  const report = computeCostReport({
    history: appendPrices(
      appendChanges(emptyHistory(), changes),
      { ...TEST_PRICES, sharedCosts: SHARED_COSTS },
      at('2026-01-01T00:00:00Z'),
    ),
    shapes: TEST_SHAPES,
    period: { month: '2026-12' },
    now,
    usage: { requests: 3_150_000, activeUsers: users },
    decisions,
  });
  const existedHours = (now - START) / HOUR;
  const primaryChanges: ReplicaChange[] = [
    ...changes,
    { component: 'postgres-primary' as ReplicaChange['component'], at: START, replicas: 1 },
    { component: 'shared-services' as ReplicaChange['component'], at: START, replicas: 1 },
  ];

  it('every line: replica-hours × the price of one, to the cent; the fixed fleet at its peak only since the platform exists', () => {
    let total = 0;
    let fixed = 0;
    for (const name of Object.keys(RATE) as Line[]) {
      const { hours, peak } = replicaHours(primaryChanges, name, START, now);
      const line = report.lines.find((l) => l.line === name);
      assert.ok(line, name);
      assert.equal(cents(line.cost), cents(hours * RATE[name]), `${name} cost`);
      assert.equal(cents(line.fixedFleetCost), cents(peak * existedHours * RATE[name]), `${name} fixed fleet`);
      assert.equal(line.peakReplicas, peak, `${name} peak`);
      total += hours * RATE[name];
      fixed += peak * existedHours * RATE[name];
    }
    assert.equal(cents(report.total.cost), cents(total));
    assert.equal(cents(report.total.fixedFleetCost), cents(fixed));
    assert.equal(cents(report.total.saving), cents(fixed - total));
    assert.equal(report.period.platformFrom, new Date(START).toISOString());
  });

  it('the shared services item by item: a month × the 168 hours the platform existed / 730', () => {
    assert.deepEqual(
      report.sharedCosts.map(({ name, monthly, cost }) => [name, monthly, cents(cost)]),
      SHARED_COSTS.map(({ name, monthly }) => [name, monthly, cents((monthly * existedHours) / 730)]),
    );
    // 105 × 168 / 730 = 24.16, which is the line's cost too
    assert.equal(cents(report.sharedCosts.reduce((sum, item) => sum + item.cost, 0)), 2416);
    assert.equal(cents(report.lines.find((l) => l.line === 'shared-services')?.cost ?? NaN), 2416);
  });

  it("the seed's $1,085 fleet prorated over the same 168 hours, and unit costs normalised to a month", () => {
    const averageMonthHours = (365.25 * 24) / 12;
    assert.equal(cents(report.seedFleet.prorated), cents((1085 * existedHours) / averageMonthHours));
    assert.equal(report.seedFleet.hours, 168);
    const perUser = report.total.cost / users;
    assert.equal(cents(report.unitCosts.perActiveUser ?? NaN), cents(perUser));
    assert.equal(cents(report.unitCosts.perActiveUserMonth ?? NaN), cents((perUser * averageMonthHours) / existedHours));
    assert.equal(cents((report.unitCosts.per1000Requests ?? NaN) * 100), cents((report.total.cost / 3_150_000) * 1000 * 100));
  });

  it('the costliest decision: the replicas it added, held until the next change, at their price', () => {
    const top = report.costliestDecisions[0];
    assert.ok(top);
    // Each morning adds 4 API replicas for 10.5 h: 4 × 10.5 × 0.025 = 1.05, more than any reports batch.
    assert.equal(top.decision.reason, 'morning peak');
    assert.equal(cents(top.cost), cents(4 * 10.5 * RATE.api));
    assert.equal(top.hours, 10.5);
  });
});
