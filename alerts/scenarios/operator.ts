/** Scenarios for the operator's own alerts: stuck autoscaler, budget, reconcile errors, leadership. */
import { METRIC } from '../../core/metric-names.js';
import { AUTOSCALER_MISSED_RUNS, type RuleContext } from '../context.js';
import { counter, gauge, series, type AlertScenario } from './series.js';

const PLATFORM = { platform: 'main', platform_namespace: 'campus' };
const OPERATOR_POD = { namespace: 'passplatform-system', pod: 'passplatform-operator-0' };
/** What the operator's per-platform alerts keep of its series: the platform, and the operator's registry component (captured). */
const PER_PLATFORM = { ...PLATFORM, namespace: OPERATOR_POD.namespace, component: 'operator' };

export function autoscalingScenarios(ctx: RuleContext): AlertScenario[] {
  const lastRun = series(METRIC.autoscalerLastRun, { ...PLATFORM, ...OPERATOR_POD });
  const minutes = 60;
  // promtool's clock starts at 0, so a run "now" records the current minute's epoch seconds.
  const stoppedAt = minutes - Math.ceil((AUTOSCALER_MISSED_RUNS * ctx.autoscalingIntervalSeconds) / 60) - 10;
  const budget = 1000;
  const cost = (projection: number) => [
    { series: series(METRIC.costMonthProjection, { ...PLATFORM, ...OPERATOR_POD }), values: gauge(projection, 180) },
    { series: series(METRIC.costBudget, { ...PLATFORM, ...OPERATOR_POD }), values: gauge(budget, 180) },
  ];
  return [
    {
      alert: 'AutoscalerStuck',
      name: `an autoscaler silent since minute ${stoppedAt} fires`,
      inputSeries: [
        { series: lastRun, values: `${counter({ perStep: 60, steps: stoppedAt })} ${stoppedAt * 60}+0x${minutes - stoppedAt - 1}` },
      ],
      evalTime: `${minutes}m`,
      fires: [{ labels: PER_PLATFORM, value: (minutes - stoppedAt) * 60 }],
    },
    {
      alert: 'AutoscalerStuck',
      name: 'an autoscaler running every minute stays quiet',
      inputSeries: [{ series: lastRun, values: counter({ perStep: 60, steps: minutes }) }],
      evalTime: `${minutes}m`,
      fires: [],
    },
    {
      alert: 'CostBudgetProjectionExceeded',
      name: 'a projection over budget fires',
      inputSeries: cost(budget * 1.25),
      evalTime: '3h',
      fires: [{ labels: PER_PLATFORM, value: budget * 1.25 }],
    },
    {
      alert: 'CostBudgetProjectionExceeded',
      name: 'a projection under budget stays quiet',
      inputSeries: cost(budget * 0.9),
      evalTime: '3h',
      fires: [],
    },
  ];
}

export function operatorScenarios(): AlertScenario[] {
  const reconciles = (errorsPerMinute: number) => [
    {
      series: series(METRIC.reconcileTotal, { ...PLATFORM, ...OPERATOR_POD, result: 'success' }),
      values: counter({ perStep: 4, steps: 40 }),
    },
    {
      series: series(METRIC.reconcileTotal, { ...PLATFORM, ...OPERATOR_POD, result: 'error' }),
      values: counter({ perStep: errorsPerMinute, steps: 40 }),
    },
  ];
  const leader = (values: number[]) =>
    values.map((v, i) => ({
      series: series(METRIC.operatorIsLeader, { ...OPERATOR_POD, pod: `passplatform-operator-${i}` }),
      values: gauge(v, 20),
    }));
  return [
    {
      alert: 'OperatorReconcileErrors',
      name: 'a reconcile failing every minute fires',
      inputSeries: reconciles(1),
      evalTime: '40m',
      fires: [{ labels: PLATFORM, value: 15 }],
    },
    {
      alert: 'OperatorReconcileErrors',
      name: 'reconciles without errors stay quiet',
      inputSeries: reconciles(0),
      evalTime: '40m',
      fires: [],
    },
    {
      alert: 'OperatorNoLeader',
      name: 'replicas none of which leads fire',
      inputSeries: leader([0, 0]),
      evalTime: '20m',
      fires: [{ labels: {}, value: 0 }],
    },
    {
      alert: 'OperatorNoLeader',
      name: 'no operator scraped at all stays quiet (OperatorAbsent says so)',
      inputSeries: [],
      evalTime: '20m',
      fires: [],
    },
    { alert: 'OperatorNoLeader', name: 'one leading replica stays quiet', inputSeries: leader([1, 0]), evalTime: '20m', fires: [] },
    {
      alert: 'OperatorAbsent',
      name: 'no operator replica scraped fires',
      inputSeries: [],
      evalTime: '20m',
      fires: [{ labels: {}, value: 1 }],
    },
    {
      alert: 'OperatorAbsent',
      name: 'replicas that stopped reporting ten minutes ago fire',
      inputSeries: [{ series: series(METRIC.operatorIsLeader, OPERATOR_POD), values: `1+0x5 stale` }],
      evalTime: '20m',
      fires: [{ labels: {}, value: 1 }],
    },
    { alert: 'OperatorAbsent', name: 'replicas without a leader are not absent', inputSeries: leader([0, 0]), evalTime: '20m', fires: [] },
  ];
}
