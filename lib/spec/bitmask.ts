/**
 * A set of small numbers (0–63) as a 64-bit mask, kept in two 32-bit words: what each
 * cron field compiles to.
 *
 * @module
 */

/**
 * An immutable set of numbers 0–63.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Bitmask } from "./bitmask.ts";
 * const quarters = Bitmask.range(0, 59, 15);
 * strictEqual(quarters.next(16), 30);
 * strictEqual(quarters.next(46), -1);
 * ```
 */
export class Bitmask {
  /** The empty set. */
  static readonly EMPTY: Bitmask = new Bitmask(0, 0);

  private constructor(
    /** Numbers 0–31. */
    readonly low: number,
    /** Numbers 32–63. */
    readonly high: number,
  ) {}

  /** The numbers `start`, `start + step`, … up to `end` (0 ≤ start ≤ end ≤ 63). */
  static range(start: number, end: number, step: number): Bitmask {
    let low = 0, high = 0;
    for (let value = start; value <= end; value += step) {
      if (value < 32) low |= 1 << value;
      else high |= 1 << (value - 32);
    }
    return new Bitmask(low, high);
  }

  /** The union of both sets. */
  or(other: Bitmask): Bitmask {
    return new Bitmask(this.low | other.low, this.high | other.high);
  }

  /** Whether `value` is in the set. */
  has(value: number): boolean {
    return value < 32
      ? (this.low >>> value & 1) === 1
      : value < 64 && (this.high >>> (value - 32) & 1) === 1;
  }

  /** Whether the set is empty. */
  get empty(): boolean {
    return this.low === 0 && this.high === 0;
  }

  /** The smallest number in the set that is ≥ `from` (≥ 0), or -1. */
  next(from: number): number {
    if (from < 32) {
      const low = this.low & (-1 << from);
      if (low !== 0) return lowestBit(low);
      from = 32;
    }
    if (from >= 64) return -1;
    const high = this.high & (-1 << (from - 32));
    return high === 0 ? -1 : 32 + lowestBit(high);
  }
}

/**
 * The index of the lowest set bit of a non-zero 32-bit word.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { lowestBit } from "./bitmask.ts";
 * strictEqual(lowestBit(0b1000), 3);
 * ```
 */
export function lowestBit(word: number): number {
  return 31 - Math.clz32(word & -word);
}
