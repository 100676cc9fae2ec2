/**
 * Which ticks a backfill fires: the times of a past range by the tick rule, within the
 * limits of one call.
 *
 * @module
 */

import { timeOf } from "../_util.ts";
import { BackfillTooLargeError, InvalidBackfillError } from "../errors.ts";
import type { Spec } from "../spec/spec.ts";
import { nextTick, type TickBounds, UNBOUNDED } from "../spec/ticks.ts";

/** The most ticks one backfill call fires, over all the jobs it covers. */
export const MAX_BACKFILL_TICKS = 1000;
/** The longest range one backfill call covers, in ms: 31 days. */
export const MAX_BACKFILL_RANGE = 31 * 24 * 3600_000;

/**
 * A time given to backfill as a `Date` or an ISO 8601 string, in epoch ms.
 *
 * @throws {InvalidBackfillError} When it is not a time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backfillTime } from "./backfill.ts";
 * assert.equal(backfillTime("1970-01-01T00:00:01Z", "from"), 1000);
 * ```
 */
export function backfillTime(value: unknown, what: string): number {
  const time = timeOf(value);
  if (isNaN(time)) {
    throw new InvalidBackfillError(
      `backfill: ${what} must be a date or an ISO 8601 time, not ${
        typeof value === "string"
          ? JSON.stringify(value)
          : value instanceof Date
          ? "an invalid Date"
          : `a ${typeof value}`
      }`,
    );
  }
  return time;
}

/**
 * The tick times of each job in [`from`, `to`] (epoch ms) by the tick rule (the spec,
 * `@every` counted from `anchor`, none before the job's `start` nor after its `end` in
 * `bounds[i]`; `maxRuns` does not apply), refusing a range that is not in the past, is
 * longer than {@link MAX_BACKFILL_RANGE}, or holds more than {@link MAX_BACKFILL_TICKS}
 * ticks.
 *
 * @throws {InvalidBackfillError} When the range is empty, reversed or not in the past.
 * @throws {BackfillTooLargeError} When it is too long or holds too many ticks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backfillTicks } from "./backfill.ts";
 * import { parseSpec } from "../spec/spec.ts";
 * const [times] = backfillTicks([parseSpec("@every 10s")], 0, 10_000, 30_000, 60_000);
 * assert.deepEqual(times, [10_000, 20_000, 30_000]);
 * ```
 */
export function backfillTicks(
  specs: Spec[],
  anchor: number,
  from: number,
  to: number,
  now: number,
  bounds: TickBounds[] = [],
): number[][] {
  checkRange(from, to, now);
  let total = 0;
  return specs.map((spec, i) => {
    const { start, end } = bounds[i] ?? UNBOUNDED;
    const last = Math.min(to, end);
    const times: number[] = [];
    for (
      let tick = nextTick(spec, anchor, Math.max(from, start) - 1);
      tick !== null && tick <= last;
      tick = nextTick(spec, anchor, tick)
    ) {
      if (++total > MAX_BACKFILL_TICKS) {
        throw new BackfillTooLargeError(
          `backfill: the range holds more than ${MAX_BACKFILL_TICKS} ticks: split it`,
        );
      }
      times.push(tick);
    }
    return times;
  });
}

/**
 * The first tick of a job, after `since` and by `to`, that the node may not have sent by
 * `now`, or `null` when it sent them all; the node sends the tick at `at` at
 * `sendTime(at)` (see the spec's `sendTime`: a job's ticks in order, each at its own
 * time); it sends none at or before `since` (the definition's write, or its `start` less
 * 1 ms if later). A
 * backfilled tick the node sends later than the job stream's duplicate window after it
 * would be stored twice.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { firstUnsent } from "./backfill.ts";
 * import { parseSpec } from "../spec/spec.ts";
 * const spec = parseSpec("@every 10s");
 * // The tick at 20 s goes out at 24 s: at 23 s it is not sent yet.
 * const sendTime = (at: number) => at + 4000;
 * assert.equal(firstUnsent(spec, 0, 0, 20_000, 5000, sendTime, 23_000), 20_000);
 * assert.equal(firstUnsent(spec, 0, 0, 20_000, 5000, sendTime, 24_000), null);
 * ```
 */
export function firstUnsent(
  spec: Spec,
  anchor: number,
  since: number,
  to: number,
  jitter: number,
  sendTime: (at: number) => number,
  now: number,
): number | null {
  if (jitter < 1) return null;
  // A tick at or before now - jitter was sent by now, and so were those before it.
  for (
    let at = nextTick(spec, anchor, Math.max(since, now - jitter));
    at !== null && at <= to;
    at = nextTick(spec, anchor, at)
  ) {
    if (sendTime(at) > now) return at;
  }
  return null;
}

/** Refuses a range that is reversed, reaches the future or is longer than 31 days. */
function checkRange(from: number, to: number, now: number): void {
  if (from > to) {
    throw new InvalidBackfillError(
      `backfill: from (${new Date(from).toISOString()}) is after to (${
        new Date(to).toISOString()
      })`,
    );
  }
  if (to > now) {
    throw new InvalidBackfillError(
      `backfill: to (${
        new Date(to).toISOString()
      }) is in the future: backfill fires past ticks; use trigger to run now`,
    );
  }
  if (to - from > MAX_BACKFILL_RANGE) {
    throw new BackfillTooLargeError(
      `backfill: the range is longer than 31 days: split it`,
    );
  }
}
