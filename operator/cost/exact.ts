/**
 * Exact rational arithmetic over BigInt, so cost figures are computed without floating-point drift
 * and rounded exactly once (see docs/adr/0005-cost-accounting.md). Prices and Kubernetes quantities
 * are decimals as written; both convert here into exact fractions.
 */

export class Fraction {
  readonly num: bigint;
  readonly den: bigint;

  constructor(num: bigint, den: bigint = 1n) {
    if (den === 0n) throw new RangeError('Fraction with a zero denominator');
    const sign = den < 0n ? -1n : 1n;
    const divisor = gcd(abs(num), abs(den)) || 1n;
    this.num = (sign * num) / divisor;
    this.den = (sign * den) / divisor;
  }

  static readonly ZERO = new Fraction(0n);

  static of(value: bigint | number): Fraction {
    if (typeof value === 'bigint') return new Fraction(value);
    if (Number.isInteger(value)) return new Fraction(BigInt(value));
    return parseDecimal(String(value));
  }

  add(other: Fraction): Fraction {
    if (other.num === 0n) return this;
    if (this.num === 0n) return other;
    return new Fraction(this.num * other.den + other.num * this.den, this.den * other.den);
  }

  sub(other: Fraction): Fraction {
    return this.add(new Fraction(-other.num, other.den));
  }

  mul(other: Fraction | bigint): Fraction {
    if (typeof other === 'bigint') return new Fraction(this.num * other, this.den);
    return new Fraction(this.num * other.num, this.den * other.den);
  }

  div(other: Fraction | bigint): Fraction {
    if (typeof other === 'bigint') return new Fraction(this.num, this.den * other);
    return new Fraction(this.num * other.den, this.den * other.num);
  }

  compare(other: Fraction): number {
    const left = this.num * other.den;
    const right = other.num * this.den;
    return left < right ? -1 : left > right ? 1 : 0;
  }

  isZero(): boolean {
    return this.num === 0n;
  }

  /** Rounds to the nearest integer, halves away from zero (the commercial rounding finance expects). */
  round(): bigint {
    const twice = 2n * abs(this.num) + this.den;
    const magnitude = twice / (2n * this.den);
    return this.num < 0n ? -magnitude : magnitude;
  }

  toNumber(): number {
    // Within 2^53 both convert exactly and one division rounds correctly.
    if (abs(this.num) <= SAFE && this.den <= SAFE) return Number(this.num) / Number(this.den);
    // Split off the integer part first so large numerators keep their precision.
    const whole = this.num / this.den;
    const rest = this.num - whole * this.den;
    return Number(whole) + Number(rest) / Number(this.den);
  }
}

/** Parses a decimal literal such as "0.5", "-12", "1.25e-3" exactly. */
export function parseDecimal(text: string): Fraction {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) throw new RangeError(`not a decimal number: "${text}"`);
  const [, sign, whole = '', fraction = '', exponentText = '0'] = match;
  const digits = BigInt(`${whole}${fraction}` || '0');
  const exponent = Number(exponentText) - fraction.length;
  const value = exponent >= 0 ? new Fraction(digits * 10n ** BigInt(exponent)) : new Fraction(digits, 10n ** BigInt(-exponent));
  return sign === '-' ? new Fraction(-value.num, value.den) : value;
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function abs(value: bigint): bigint {
  return value < 0n ? -value : value;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}
