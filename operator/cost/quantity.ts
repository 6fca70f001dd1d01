/**
 * Kubernetes resource quantities ("500m", "1.5Gi", "2", "1e3") as exact fractions. The client
 * library's own parser mixes floats and BigInts and rejects fractional binary quantities, and
 * exact cost figures need exact inputs.
 */
import { Fraction, parseDecimal } from './exact.js';

const BINARY_SUFFIXES: Record<string, bigint> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};

const DECIMAL_EXPONENTS: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** The quantity's value in base units: cores for CPU, bytes for memory and storage. */
export function parseQuantity(quantity: string): Fraction {
  const match = QUANTITY.exec(quantity.trim());
  if (!match) throw new RangeError(`not a Kubernetes quantity: "${quantity}"`);
  const [, number = '', suffix = ''] = match;
  const value = parseDecimal(number);
  const binary = BINARY_SUFFIXES[suffix];
  if (binary !== undefined) return value.mul(binary);
  if (/^[eE]/.test(suffix)) return parseDecimal(`${number}${suffix}`);
  const exponent = DECIMAL_EXPONENTS[suffix] ?? 0;
  return exponent >= 0 ? value.mul(10n ** BigInt(exponent)) : value.div(10n ** BigInt(-exponent));
}

const BYTES_PER_GIB = new Fraction(1n << 30n);

/** A memory or storage quantity in GiB, the unit prices are quoted in. */
export function quantityInGib(quantity: string): Fraction {
  return parseQuantity(quantity).div(BYTES_PER_GIB);
}
