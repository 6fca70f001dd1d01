/**
 * The short-term trend (forecast.ts) counts or not by the shape of the readings, not by their scale:
 * the same ramp at twice the load is the same ramp.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { trendForecast } from './forecast.js';

const at = (i: number) => 1_000_000 + i * 15_000;

describe('the trend forecast', () => {
  it('counts a step from idle the same at any load (its R² is 0.6 exactly, whatever the rounding)', () => {
    // autoscale's monotone-in-load property once failed here: 0.61 cores planned for 4.7 from the
    // trend, 1.19 cores for 1.19 (the rounding of R² put one under 0.6, the other not).
    for (const x of [0.6145307376769235, 1.187369389184326, 1, 3, 1e-3, 1e3]) {
      const samples = [0, 0, 0, x].map((load, i) => ({ at: at(i), load }));
      const forecast = trendForecast(samples, 345_000, 45_000, 0.6);
      assert.ok(forecast !== undefined && forecast > x, `${x}: ${forecast}`);
    }
  });

  it('scales with the load: k times the readings, k times the forecast', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 20, noNaN: true }), { minLength: 4, maxLength: 12 }),
        fc.double({ min: 1, max: 5, noNaN: true }),
        (loads, k) => {
          const plain = trendForecast(
            loads.map((load, i) => ({ at: at(i), load })),
            345_000,
            45_000,
            0.6,
          );
          const scaled = trendForecast(
            loads.map((load, i) => ({ at: at(i), load: load * k })),
            345_000,
            45_000,
            0.6,
          );
          assert.equal(scaled === undefined, plain === undefined, `${loads.join(',')} × ${k}`);
          if (plain !== undefined && scaled !== undefined) assert.ok(Math.abs(scaled - plain * k) <= 1e-6 * Math.max(1, Math.abs(scaled)));
        },
      ),
      { numRuns: 300 },
    );
  });
});
