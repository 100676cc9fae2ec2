/**
 * How the admin commands show times: relative to now (`in 4s`, `12m ago`), or absolute
 * in a job's zone; and how they show a duration (`3h12m`).
 *
 * @module
 */

import { wallClock } from "../spec/zone.ts";

/**
 * A duration in whole units, the two largest that matter: `45s`, `4m12s`, `12m`,
 * `3h12m`, `2d4h`. The sign is ignored.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { span } from "./time.ts";
 *
 * assert.equal(span((3 * 60 + 12) * 60_000), "3h12m");
 * ```
 */
export function span(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d${h % 24}h` : `${d}d`;
}

/**
 * `date` relative to `now`: `in 4s` ahead, `12m ago` behind.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { relative } from "./time.ts";
 *
 * assert.equal(relative(new Date(14_000), 10_000), "in 4s");
 * assert.equal(relative(new Date(0), 720_000), "12m ago");
 * ```
 */
export function relative(date: Date, now: number): string {
  const ms = date.getTime() - now;
  return ms >= 0 ? `in ${span(ms)}` : `${span(ms)} ago`;
}

/**
 * `date` as wall time in `zone` (an IANA name, UTC by default) with its offset:
 * `2025-06-02 09:30:00 +02:00`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { absolute } from "./time.ts";
 *
 * const date = new Date("2025-06-02T07:30:00Z");
 * assert.equal(absolute(date, "Europe/Paris"), "2025-06-02 09:30:00 +02:00");
 * assert.equal(absolute(date), "2025-06-02 07:30:00 +00:00");
 * ```
 */
export function absolute(date: Date, zone = "UTC"): string {
  const { text, offset } = wallClock(date, zone);
  return `${text} ${offset}`;
}
