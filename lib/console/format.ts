/**
 * Times and durations as the console shows them.
 *
 * @module
 */

import { wallClock } from "../spec/zone.ts";

/**
 * `at` in `zone` (UTC when unset) as `2027-01-01 09:30:00 Europe/Paris`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { absolute } from "./format.ts";
 * const at = new Date("2027-01-01T08:30:00Z");
 * assert.equal(absolute(at, "Europe/Paris"), "2027-01-01 09:30:00 Europe/Paris");
 * assert.equal(absolute(at), "2027-01-01 08:30:00 UTC");
 * ```
 */
export function absolute(at: Date, zone = "UTC"): string {
  return `${wallClock(at, zone).text} ${zone}`;
}

/**
 * How far `at` is from `now`: `in 5s`, `3m ago`, `in 2h 5m`, `in 3d`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { relative } from "./format.ts";
 * assert.equal(relative(new Date(65_000), new Date(0)), "in 1m 5s");
 * assert.equal(relative(new Date(0), new Date(7_200_000)), "2h ago");
 * ```
 */
export function relative(at: Date, now = new Date()): string {
  const ms = at.getTime() - now.getTime();
  const text = span(Math.abs(ms));
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

/**
 * A duration in ms, in its two largest units: `850ms`, `12s`, `1m 5s`, `2h`, `3d 4h`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { span } from "./format.ts";
 * assert.equal(span(850), "850ms");
 * assert.equal(span(93_784_000), "1d 2h");
 * ```
 */
export function span(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const units: [string, number][] = [
    ["d", 86_400],
    ["h", 3600],
    ["m", 60],
    ["s", 1],
  ];
  let rest = Math.floor(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of units) {
    if (rest < size && parts.length === 0) continue;
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) parts.push(`${count}${unit}`);
    if (parts.length === 2 || (parts.length === 1 && count === 0)) break;
  }
  return parts.join(" ");
}
