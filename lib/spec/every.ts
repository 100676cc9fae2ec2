/**
 * `@every <duration>`: ticks at a constant interval from an anchor.
 *
 * @module
 */

const SECOND = 1_000_000_000n;

/**
 * The interval of `@every`: the duration cut to whole seconds, at least one second, in
 * milliseconds.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { everyInterval } from "./every.ts";
 * strictEqual(everyInterval(1_500_000_000n), 1000);
 * strictEqual(everyInterval(1n), 1000);
 * ```
 */
export function everyInterval(nanoseconds: bigint): number {
  const seconds = nanoseconds / SECOND;
  return Number(seconds > 0n ? seconds : 1n) * 1000;
}

/**
 * The first tick `anchor + k × interval` (k ≥ 1) strictly after `after`, all in ms.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { nextEvery } from "./every.ts";
 * strictEqual(nextEvery(10_000, 25_000, 0), 30_000);
 * strictEqual(nextEvery(10_000, -5_000, 0), 10_000);
 * ```
 */
export function nextEvery(
  interval: number,
  after: number,
  anchor: number,
): number {
  const k = Math.max(1, Math.floor((after - anchor) / interval) + 1);
  return anchor + k * interval;
}
