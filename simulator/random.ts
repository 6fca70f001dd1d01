/**
 * Seeded randomness for the simulator: the same seed gives the same run, to the last request.
 */
import { createHash } from 'node:crypto';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

/**
 * A seed for one family of draws, unrelated to the seed of any other family or nearby number:
 * xoroshiro128+ seeded directly from nearby numbers (consecutive dates) gives nearly the same first
 * draws, so held-out traces of different days were the same trace (a crowd at 16.7 h every day).
 */
export function familySeed(family: string, seed: number): number {
  return createHash('sha256').update(`${family}:${seed}`).digest().readInt32LE(0);
}

export class Random {
  private readonly generator: RandomGenerator;

  constructor(seed: number) {
    this.generator = xoroshiro128plus(seed);
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return uniformFloat64(this.generator);
  }

  between(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform());
  }

  /** Uniform in [0, 1) at 32-bit resolution: cheaper, for the per-request draws of the model's hot path. */
  fast(): number {
    return (this.generator.next() >>> 0) / 4294967296;
  }

  private spareNormal: number | undefined;

  /** Standard normal from the 32-bit draws (Box–Muller, both values used). */
  fastNormal(): number {
    const spare = this.spareNormal;
    if (spare !== undefined) {
      this.spareNormal = undefined;
      return spare;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - this.fast()));
    const angle = 2 * Math.PI * this.fast();
    this.spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** Lognormal with the given parameters of its logarithm (see `lognormalShape`). */
  lognormal(shape: LognormalShape): number {
    return Math.exp(shape.mu + shape.sigma * this.fastNormal());
  }

  /** Poisson-distributed count with the given mean: exact for small means, normal approximation above 50. */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    const limit = Math.exp(-mean);
    let count = 0;
    let product = this.uniform();
    while (product > limit) {
      count++;
      product *= this.uniform();
    }
    return count;
  }
}

/** Parameters of a lognormal's logarithm. */
export interface LognormalShape {
  mu: number;
  sigma: number;
}

/** The lognormal with this mean and coefficient of variation (standard deviation / mean). */
export function lognormalShape(mean: number, cv: number): LognormalShape {
  const sigma = Math.sqrt(Math.log(1 + cv * cv));
  return { mu: Math.log(mean) - (sigma * sigma) / 2, sigma };
}

/** P(X ≤ x) for a lognormal X. */
export function lognormalCdf(shape: LognormalShape, x: number): number {
  if (x <= 0) return 0;
  return standardNormalCdf((Math.log(x) - shape.mu) / shape.sigma);
}

/** Φ(z), to about 1e-7 (Abramowitz and Stegun 26.2.17). */
export function standardNormalCdf(z: number): number {
  const t = 1 / (1 + 0.2316419 * Math.abs(z));
  const density = Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI);
  const tail = density * t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  return z >= 0 ? 1 - tail : tail;
}
