import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReplicaChange, ScalingDecisionRecord } from '../../platform-api/v1alpha1/index.js';
import { at, NOVEMBER_HISTORY, TEST_PRICES, TEST_SHAPES } from './fixtures.js';
import { appendChanges, appendPrices, compact, emptyHistory, type HistoryDocument } from './history-document.js';
import { computeCostReport, monthRange, type CostReport } from './report.js';

function historyOf(changes: ReplicaChange[], prices = [{ from: at('2026-01-01T00:00:00Z'), prices: TEST_PRICES }]): HistoryDocument {
  let doc = appendChanges(emptyHistory(), changes);
  for (const period of prices) doc = appendPrices(doc, period.prices, period.from);
  return doc;
}

function line(report: CostReport, name: string) {
  const found = report.lines.find((entry) => entry.line === name);
  assert.ok(found, `line ${name}`);
  return found;
}

describe('monthRange', () => {
  it('spans whole UTC months, 30 and 31 days, across a year end', () => {
    assert.deepEqual(monthRange('2026-11'), { from: at('2026-11-01T00:00:00Z'), to: at('2026-12-01T00:00:00Z') });
    const december = monthRange('2026-12');
    assert.equal((december.to - december.from) / 3_600_000, 744);
    assert.equal(december.to, at('2027-01-01T00:00:00Z'));
    assert.throws(() => monthRange('2026-13'), /not a month/);
  });
});

describe('computeCostReport for a closed month', () => {
  const report = computeCostReport({
    history: historyOf(NOVEMBER_HISTORY),
    shapes: TEST_SHAPES,
    period: { month: '2026-11' },
    now: at('2026-12-15T00:00:00Z'),
    usage: { requests: 2_000_000, activeUsers: 4_000 },
    platform: 'campus/pass',
  });

  it('counts only the month: changes before it set the starting count, changes after it are ignored', () => {
    // api: Nov 1 00:00 → Nov 10 12:30 at 2 (228.5 h), → Nov 30 23:20 at 4 (490 h 50 min), → Dec 1 at 2 (40 min).
    const api = line(report, 'api');
    const replicaHours = 228.5 * 2 + (490 + 50 / 60) * 4 + (40 / 60) * 2;
    assert.equal(Math.round(api.replicaHours * 1e9), Math.round(replicaHours * 1e9));
    assert.equal(api.replicaHours, 7265 / 3);
    assert.equal(api.averageReplicas, 7265 / 2160);
    assert.equal(api.peakReplicas, 4);
    // Every hour but Nov 30 23:00 holds whole replica-hours (2419 of them, × 0.025 = 60.475);
    // that hour holds 20 min × 4 + 40 min × 2 = 8/3 replica-hours = 0.0666… → 0.066667.
    assert.equal(api.cost, 60.541667);
    assert.equal(api.fixedFleetCost, 72); // 4 × 720 h × 0.025
    assert.equal(api.saving, 11.458333);
  });

  it('prices partial hours: 30 minutes at 3 uploads workers inside one hour', () => {
    const uploads = line(report, 'worker-uploads');
    assert.equal(uploads.replicaHours, 721);
    assert.equal(uploads.cost, 36.05);
    assert.equal(uploads.peakReplicas, 3);
    assert.equal(uploads.fixedFleetCost, 108);
    const hour = report.hourly.from.indexOf(at('2026-11-20T06:00:00Z'));
    assert.equal(report.hourly.lines['worker-uploads']?.cost[hour], 0.1); // 2 replica-hours × 0.05
    assert.equal(report.hourly.lines['worker-uploads']?.averageReplicas[hour], 2);
  });

  it('prices databases and Redis per instance and node plus storage, and counts the primary', () => {
    assert.equal(line(report, 'postgres-replicas').cost, 360.72); // 720 h × 0.501
    assert.equal(line(report, 'postgres-primary').cost, 360.72);
    assert.equal(line(report, 'redis-shards').cost, 432.432); // 3 × 720 h × 0.2002
    assert.deepEqual(
      { ...line(report, 'worker-reports') },
      {
        line: 'worker-reports',
        priced: true,
        cost: 0,
        replicaHours: 0,
        peakReplicas: 0,
        averageReplicas: 0,
        fixedFleetCost: 0,
        saving: 0,
      },
    );
  });

  it('totals are the sums of the lines, against a fixed fleet sized for each peak', () => {
    assert.equal(report.total.cost, 1250.463667);
    assert.equal(report.total.fixedFleetCost, 1333.872);
    assert.equal(report.total.saving, 83.408333);
    assert.equal(report.total.savingRatio, 83_408_333 / 1_333_872_000);
    assert.equal(report.hourly.from.length, 720);
  });

  it('gives unit costs from the API counters, rounded to micro-units', () => {
    assert.equal(report.unitCosts.per1000Requests, 0.625232); // 1250.463667 × 1000 / 2,000,000 = 0.6252318335
    assert.equal(report.unitCosts.perActiveUser, 0.312616); // 1250.463667 / 4000 = 0.31261591675
    assert.equal(report.unitCosts.reference.fixedFleetMonthly, 1085);
  });

  it('a closed month projects to its own total', () => {
    assert.equal(report.period.complete, true);
    assert.equal(report.spend.projection, 1250.463667);
    assert.equal(report.spend.monthlyBudget, 1000);
    assert.equal(report.spend.budgetUsedRatio, 1.250463667);
  });

  it('ranks scaling decisions by what the replicas they added cost until the next change', () => {
    const decision = (component: ScalingDecisionRecord['component'], time: string, from: number, to: number): ScalingDecisionRecord => ({
      component,
      from,
      to,
      time,
      reason: `${from}→${to}`,
      signals: {},
    });
    const ranked = computeCostReport({
      history: historyOf(NOVEMBER_HISTORY),
      shapes: TEST_SHAPES,
      period: { month: '2026-11' },
      now: at('2026-12-15T00:00:00Z'),
      decisions: [
        decision('api', '2026-11-30T23:20:00Z', 4, 2),
        decision('worker-uploads', '2026-11-20T06:15:00Z', 1, 3),
        decision('api', '2026-11-10T12:30:00Z', 2, 4),
        decision('api', '2026-10-31T22:00:00Z', 0, 2),
      ],
    }).costliestDecisions;
    assert.deepEqual(
      ranked.map((entry) => [entry.decision.reason, entry.cost, entry.hours]),
      [
        ['2→4', 24.541667, 490 + 50 / 60], // 2 added × 490 h 50 min × 0.025
        ['1→3', 0.05, 0.5],
        ['4→2', -0.033333, 40 / 60],
      ],
    );
  });
});

describe('computeCostReport with prices changed mid-month', () => {
  // From Nov 15 12:30 a vCPU-hour costs 0.08: an api replica-hour 0.5 × 0.08 + 0.005 = 0.045.
  const raised = { ...TEST_PRICES, vcpuHour: 0.08, monthlyBudget: 50 };
  const history = historyOf(
    [
      { component: 'api', at: at('2026-10-20T00:00:00Z'), replicas: 2 },
      { component: 'api', at: at('2026-11-20T00:00:00Z'), replicas: 3 },
    ],
    [
      { from: at('2026-01-01T00:00:00Z'), prices: TEST_PRICES },
      { from: at('2026-11-15T12:30:00Z'), prices: raised },
    ],
  );
  const report = computeCostReport({
    history,
    shapes: { api: TEST_SHAPES.api },
    period: { month: '2026-11' },
    now: at('2027-01-01T00:00:00Z'),
  });

  it('splits the hour of the change and prices each part at its own table', () => {
    // 348.5 h × 2 × 0.025 + 107.5 h × 2 × 0.045 + 264 h × 3 × 0.045 = 17.425 + 9.675 + 35.64
    assert.equal(line(report, 'api').cost, 62.74);
    const hour = report.hourly.from.indexOf(at('2026-11-15T12:00:00Z'));
    assert.equal(report.hourly.lines.api?.cost[hour], 0.07); // 0.5 h × 2 × 0.025 + 0.5 h × 2 × 0.045
    // Fixed fleet of 3: 348.5 h × 3 × 0.025 + 371.5 h × 3 × 0.045 = 26.1375 + 50.1525
    assert.equal(report.total.fixedFleetCost, 76.29);
    assert.equal(report.total.saving, 13.55);
  });

  it('takes the budget from the table in effect at the end', () => {
    assert.equal(report.spend.monthlyBudget, 50);
    assert.equal(report.spend.budgetUsedRatio, 62.74 / 50);
  });

  it('compaction keeps the hour of a price change raw and the report unchanged', () => {
    const busy = appendChanges(history, [
      { component: 'api', at: at('2026-11-15T12:10:00Z'), replicas: 5 },
      { component: 'api', at: at('2026-11-15T12:50:00Z'), replicas: 2 },
      { component: 'api', at: at('2026-11-16T09:10:00Z'), replicas: 4 },
      { component: 'api', at: at('2026-11-16T09:40:00Z'), replicas: 2 },
    ]);
    const compacted = compact(busy, at('2026-12-01T00:00:00Z'));
    assert.equal(compacted.components.api?.filter((entry) => entry.length === 4).length, 1);
    assert.ok(compacted.components.api?.some((entry) => entry[0] === at('2026-11-15T12:10:00Z')));
    const input = { shapes: { api: TEST_SHAPES.api }, period: { month: '2026-11' }, now: at('2027-01-01T00:00:00Z') };
    assert.deepEqual(computeCostReport({ ...input, history: compacted }), computeCostReport({ ...input, history: busy }));
  });
});

describe('computeCostReport for a running month', () => {
  // api 2 replicas from Nov 1, 4 from Nov 5 (0.05 and 0.1 per hour).
  const history = historyOf([
    { component: 'api', at: at('2026-11-01T00:00:00Z'), replicas: 2 },
    { component: 'api', at: at('2026-11-05T00:00:00Z'), replicas: 4 },
  ]);
  const reportAt = (now: string) =>
    computeCostReport({ history, shapes: { api: TEST_SHAPES.api }, period: { month: '2026-11' }, now: at(now) });

  it('projects month-to-date plus the run rate since the history began', () => {
    const report = reportAt('2026-11-08T00:00:00Z');
    assert.equal(report.period.complete, false);
    assert.equal(report.total.cost, 12); // 96 h × 0.05 + 72 h × 0.1
    assert.equal(report.spend.ratePerHour, 0.1);
    assert.equal(report.spend.runRatePerHour, 0.071429); // 12 / 168 h
    assert.equal(report.spend.projection, 51.428571); // 12 + 552 h × 12 / 168
    assert.equal(report.spend.budgetUsedRatio, 0.012);
    assert.equal(report.hourly.from.length, 168);
  });

  it('projects with the trailing week once there is a week of history', () => {
    const report = reportAt('2026-11-12T00:00:00Z');
    assert.equal(report.total.cost, 21.6); // 4.8 + 168 h × 0.1
    assert.equal(report.spend.runRatePerHour, 0.1);
    assert.equal(report.spend.projection, 67.2); // 21.6 + 456 h × 0.1
  });

  it('reports an arbitrary range starting inside an hour', () => {
    const history2 = historyOf(NOVEMBER_HISTORY);
    const report = computeCostReport({
      history: history2,
      shapes: { api: TEST_SHAPES.api },
      period: { from: at('2026-11-10T12:15:00Z'), to: at('2026-11-10T14:00:00Z') },
      now: at('2026-12-01T00:00:00Z'),
    });
    assert.deepEqual(report.hourly.from, [at('2026-11-10T12:15:00Z'), at('2026-11-10T13:00:00Z')]);
    assert.deepEqual(report.hourly.lines.api?.cost, [0.0625, 0.1]); // 0.25 h × 2 + 0.5 h × 4; 4 replica-hours
    assert.equal(line(report, 'api').cost, 0.1625);
    assert.equal(line(report, 'api').replicaHours, 6.5);
    assert.equal(report.spend.projection, null);
  });
});

describe('computeCostReport with measured usage (OpenCost-style allocation)', () => {
  // api at 2 replicas of 500m + 1Gi all of November: 1 vCPU and 2 GiB requested in each hour (0.025 × 2 = 0.05 / h).
  const history = historyOf(NOVEMBER_HISTORY);
  const base = { history, shapes: TEST_SHAPES, period: { from: at('2026-11-02T00:00:00Z'), to: at('2026-11-02T03:00:00Z') } };
  const report = computeCostReport({
    ...base,
    now: at('2026-11-02T03:00:00Z'),
    measured: {
      api: [
        // Under its requests on both: 0.3 vCPU and 1.5 GiB used; 0.7 × 0.04 + 0.5 × 0.005 = 0.0305 idle.
        { from: at('2026-11-02T00:00:00Z'), vcpuHours: 0.3, gibHours: 1.5 },
        // Over on memory: 0.25 vCPU, 3 GiB: charged 1 × 0.04 + 3 × 0.005 = 0.055 (0.005 burst), idle 0.75 × 0.04 = 0.03.
        { from: at('2026-11-02T01:00:00Z'), vcpuHours: 0.25, gibHours: 3 },
        // 02:00 unmeasured: priced by its requests (0.05), no idle figure.
      ],
    },
  });

  it('charges each measured hour max(request, usage) and keeps the idle part of the requests apart', () => {
    const api = line(report, 'api');
    assert.deepEqual(report.hourly.lines.api?.cost, [0.05, 0.055, 0.05]);
    assert.equal(api.cost, 0.155);
    assert.deepEqual(api.allocation, {
      requestedVcpuHours: 2,
      usedVcpuHours: 0.55,
      requestedGibHours: 4,
      usedGibHours: 4.5,
      requestCost: 0.1,
      burstCost: 0.005,
      idleCost: 0.0605,
      measuredHours: 2,
    });
    assert.deepEqual(report.idle, { cost: 0.0605, ratio: 0.605 });
    // Lines without measurements (the worker ran unmeasured) keep their request price and carry no allocation.
    assert.equal(line(report, 'worker-uploads').allocation, undefined);
    assert.equal(line(report, 'worker-uploads').cost, 0.15);
  });

  it('is the request-priced report when nothing was measured', () => {
    const plain = computeCostReport({ ...base, now: at('2026-11-02T03:00:00Z') });
    assert.equal(plain.idle, null);
    assert.equal(line(plain, 'api').cost, 0.15);
    assert.equal(plain.total.cost, Math.round((report.total.cost - 0.005) * 1e6) / 1e6);
  });
});
