/**
 * The API's route latency histogram must export exactly what prom-client's own Histogram exports
 * for the same observations: prom-client is the other side here, fed the same values in the same
 * order, and the two registries' texts and JSON are compared whole.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createHttpDurationHistogram } from './metrics.js';
import { RouteDurationHistogram } from './route-duration-histogram.js';
import { LATENCY_BUCKETS_SECONDS } from './sla.js';

function registries() {
  const [reference, ours] = [new Registry(), new Registry()];
  for (const registry of [reference, ours]) registry.setDefaultLabels({ component: 'api' });
  return { reference, ours, histogram: createHttpDurationHistogram(reference), durations: new RouteDurationHistogram(ours) };
}

/** Values at, just under and just over every bound, beyond the last, zero and arbitrary ones. */
function observations(): number[] {
  const values = [0, 1e-9, 123.456, 0.0173, 2.5e-4];
  for (const bound of LATENCY_BUCKETS_SECONDS) values.push(bound, bound - 1e-9, bound + 1e-9);
  return values;
}

describe('route duration histogram', () => {
  it('exports what prom-client exports for the same observations', async () => {
    const { reference, ours, histogram, durations } = registries();
    const labelSets: [string, string, number, string][] = [
      ['GET', '/health', 200, 'none'],
      ['POST', '/passes/verify', 200, 'pass_generation'],
      ['GET', 'unmatched', 404, 'none'],
      ['POST', '/passes/verify', 429, 'pass_generation'],
      ['GET', '/students/:id', 200, 'student_queries'],
      // A value needing escapes in the exposition.
      ['GET', '/a"b\\c', 500, 'none'],
    ];
    let i = 0;
    for (const value of observations()) {
      for (const _ of labelSets) {
        const [method, route, status, sla] = labelSets[i++ % labelSets.length]!;
        histogram.observe(
          { http_request_method: method, http_route: route, http_response_status_code: String(status), sla_class: sla },
          value,
        );
        durations.seriesOf(method, route, status, sla).observe(value);
      }
    }
    assert.equal(await ours.metrics(), await reference.metrics());
    assert.deepEqual(await ours.getMetricsAsJSON(), await reference.getMetricsAsJSON());

    for (const registry of [reference, ours]) registry.resetMetrics();
    assert.equal(await ours.metrics(), await reference.metrics());
  });

  it('refuses a value that is not a number, as prom-client does', () => {
    const { histogram, durations } = registries();
    const labels = { http_request_method: 'GET', http_route: '/health', http_response_status_code: '200', sla_class: 'none' };
    assert.throws(() => histogram.observe(labels, Number.NaN), TypeError);
    assert.throws(() => durations.seriesOf('GET', '/health', 200, 'none').observe(Number.NaN), TypeError);
  });
});
