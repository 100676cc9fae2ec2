/**
 * A set of small numbers (0–63) as a 64-bit mask, kept in two 32-bit words: what each
 * cron field compiles to.
 *
 * @module
 */

/**
 * An immutable set of numbers 0–63. Ranges with a step of 1 (`*`, `5`, `1-5`), what most
 * fields are, are shared: a node holds a compiled spec for each of up to hundreds of
 * thousands of distinct specs, and each would otherwise hold its own.
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
  /** `range(start, end, 1)` at `start * 64 + end`, made on first use. */
  static readonly #ranges: Bitmask[] = [];

  private constructor(
    /** Numbers 0–31. */
    readonly low: number,
    /** Numbers 32–63. */
    readonly high: number,
  ) {}

  /** The numbers `start`, `start + step`, … up to `end` (0 ≤ start ≤ end ≤ 63). */
  static range(start: number, end: number, step: number): Bitmask {
    if (step === 1) {
      return Bitmask.#ranges[start * 64 + end] ??= Bitmask.#make(start, end, 1);
    }
    return Bitmask.#make(start, end, step);
  }

  static #make(start: number, end: number, step: number): Bitmask {
    let low = 0, high = 0;
    for (let value = start; value <= end; value += step) {
      if (value < 32) low |= 1 << value;
      else high |= 1 << (value - 32);
    }
    return new Bitmask(low, high);
  }

  /** The union of both sets (one of them when it holds the other). */
  or(other: Bitmask): Bitmask {
    const low = this.low | other.low, high = this.high | other.high;
    if (low === this.low && high === this.high) return this;
    if (low === other.low && high === other.high) return other;
    return new Bitmask(low, high);
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
