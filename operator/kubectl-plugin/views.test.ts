/**
 * The plugin's views and text, from a platform and a cost report as the API server and the
 * operator return them. (Pure: the reads against a control plane are in main.ts.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CostReport } from '../cost/report.js';
import type { PassPlatform } from '../../platform-api/v1alpha1/index.js';
import { costView, decisionsView, renderCost, renderDecisions, renderStatus, statusView, table } from './views.js';

const platform = {
  apiVersion: 'passplatform.io/v1alpha1',
  kind: 'PassPlatform',
  metadata: { name: 'campus', namespace: 'university' },
  spec: {},
  status: {
    phase: 'Degraded',
    slaState: 'auth p95 0.31 s > 0.2 s',
    replicas: { api: 4, 'worker-uploads': 2, 'postgres-replicas': 1 },
    conditions: [
      {
        type: 'Ready',
        status: 'False',
        reason: 'ComponentsNotReady',
        message: 'api: 3/4 ready',
        lastTransitionTime: '2026-12-03T10:00:00Z',
      },
      {
        type: 'ScalingActive',
        status: 'True',
        reason: 'SignalsRead',
        message: 'all queries answered',
        lastTransitionTime: '2026-12-03T09:00:00Z',
      },
    ],
    decisions: [
      {
        component: 'api',
        from: 2,
        to: 4,
        reason: 'api: 180 req/s, 12 ms CPU/request; …',
        signals: { requestRate: 180 },
        time: '2026-12-03T10:05:00Z',
      },
      { component: 'worker-uploads', from: 1, to: 2, reason: 'uploads: 40 waiting', signals: {}, time: '2026-12-03T10:06:00Z' },
    ],
  },
} as unknown as PassPlatform;

describe('kubectl passplatform views', () => {
  it('status: desired from the Deployments when there are some, from status otherwise; ready only where known', () => {
    const view = statusView(platform, [
      { component: 'api', desired: 4, ready: 3 },
      { component: 'worker-uploads', desired: 2, ready: 2 },
    ]);
    assert.deepEqual(view.components, [
      { component: 'api', desired: 4, ready: 3 },
      { component: 'postgres-replicas', desired: 1, ready: null },
      { component: 'worker-uploads', desired: 2, ready: 2 },
    ]);
    const text = renderStatus(view);
    assert.match(text, /^PassPlatform university\/campus: Degraded, SLA auth p95 0\.31 s > 0\.2 s/);
    assert.match(text, /\napi {16}4 {8}3\n/);
    assert.match(text, /postgres-replicas {2}1 {8}-/);
    assert.match(text, /Ready {10}False {3}ComponentsNotReady {2}2026-12-03T10:00:00Z {2}api: 3\/4 ready/);
  });

  it('decisions: newest first, with their reasons', () => {
    const view = decisionsView(platform);
    assert.deepEqual(
      view.decisions.map((d) => d.component),
      ['worker-uploads', 'api'],
    );
    assert.match(renderDecisions(view), /2026-12-03T10:05:00Z {2}api {13}2 {5}4 {3}api: 180 req\/s/);
    assert.equal(
      renderDecisions(decisionsView({ ...platform, status: {} } as PassPlatform)),
      'PassPlatform university/campus: no scaling decisions yet',
    );
  });

  it('cost: month to date, projection against the budget, per component', () => {
    const report = {
      currency: 'USD',
      month: '2026-12',
      period: { from: '', to: '', asOf: '', complete: false },
      lines: [
        { line: 'api', priced: true, cost: 12.5, replicaHours: 250, peakReplicas: 4, averageReplicas: 3, fixedFleetCost: 20, saving: 7.5 },
      ],
      total: { cost: 40.25, replicaHours: 400, fixedFleetCost: 90, saving: 49.75, savingRatio: 0.55 },
      spend: {
        ratePerHour: 0.5,
        runRatePerHour: 0.45,
        monthlyBudget: 500,
        budgetUsedRatio: 0.08,
        projection: 321.4,
        projectedBudgetRatio: 0.6428,
      },
    } as unknown as CostReport;
    const view = costView('campus', 'university', report);
    assert.equal(view.monthToDate, 40.25);
    assert.equal(view.projection, 321.4);
    const text = renderCost(view);
    assert.match(text, /month to date {2}40\.25 USD/);
    assert.match(text, /projection {5}321\.40 USD of a 500\.00 USD budget \(64 % projected\)/);
    assert.match(text, /api {8}12\.50 USD {2}250\.0/);
  });

  it('tables pad every column but the last', () => {
    assert.equal(table(['A', 'BB'], [['xyz', 'q']]), 'A    BB\nxyz  q');
  });
});
