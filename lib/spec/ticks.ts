/**
 * Which ticks a stored definition has: the rule every node and the client share, so that
 * all of them agree on the tick times.
 *
 * A job of a definition ticks at each fire time of its spec (`@every` counted from the
 * definition's anchor) that is later than the moment the definition was stored
 * (`definedAt`, the KV revision's server timestamp), not before its policy's `start`, not
 * after its `end`, and up to its `maxRuns`-th: tick `k` is the `k`-th fire time after
 * `definedAt` within `start`/`end`, so every node numbers the ticks alike.
 *
 * @module
 */

import type { Spec } from "./spec.ts";
import type { Definition, JobPolicy } from "../types.ts";
import { timeOf } from "../_util.ts";

/** The bounds a job's policy puts on its ticks. */
export interface TickBounds {
  /** No tick before this time (epoch ms; `-Infinity`: none). */
  readonly start: number;
  /** No tick after this time (epoch ms; `Infinity`: none). */
  readonly end: number;
  /** No tick after the `maxRuns`-th (`Infinity`: none). */
  readonly maxRuns: number;
}

/** A job without bounds. */
export const UNBOUNDED: TickBounds = {
  start: -Infinity,
  end: Infinity,
  maxRuns: Infinity,
};

/** A tick and its number among the ticks of its definition. */
export interface Run {
  /** The scheduled time, in epoch ms. */
  at: number;
  /** 1 for the definition's first tick, and so on; counted only with `maxRuns` (else 0). */
  run: number;
}

/**
 * The bounds of a job's policy (`start`, `end`, `maxRuns`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tickBounds } from "./ticks.ts";
 * assert.deepEqual(tickBounds({ end: "1970-01-01T00:00:10.000Z", maxRuns: 3 }), {
 *   start: -Infinity,
 *   end: 10_000,
 *   maxRuns: 3,
 * });
 * ```
 */
export function tickBounds(policy: JobPolicy | undefined): TickBounds {
  if (
    policy?.start === undefined && policy?.end === undefined &&
    policy?.maxRuns === undefined
  ) return UNBOUNDED;
  const time = (value: Date | string | undefined, none: number) =>
    value === undefined ? none : timeOf(value);
  return {
    start: time(policy.start, -Infinity),
    end: time(policy.end, Infinity),
    maxRuns: policy.maxRuns ?? Infinity,
  };
}

/**
 * The first tick of a job strictly after `after` (epoch ms), or `null` if none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { firstTickAfter } from "./ticks.ts";
 * import { parseSpec } from "./spec.ts";
 * const definition = { jobs: [], anchor: new Date(0), paused: false };
 * const spec = parseSpec("@every 10s");
 * assert.equal(firstTickAfter(spec, definition, 0, 25_000), 30_000);
 * assert.equal(firstTickAfter(spec, definition, 0, 25_000, { maxRuns: 2 }), null);
 * ```
 */
export function firstTickAfter(
  spec: Spec,
  definition: Definition,
  definedAt: number,
  after: number,
  policy?: JobPolicy,
): number | null {
  return firstRunAfter(spec, definition, definedAt, after, tickBounds(policy))
    ?.at ?? null;
}

/**
 * The first tick of a job strictly after `after` (epoch ms) and its number, or `null` if
 * none. With `maxRuns`, the ticks from `definedAt` are counted, at most `maxRuns + 1`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { firstRunAfter, tickBounds } from "./ticks.ts";
 * import { parseSpec } from "./spec.ts";
 * const definition = { jobs: [], anchor: new Date(0), paused: false };
 * const bounds = tickBounds({ start: new Date(20_000), maxRuns: 5 });
 * assert.deepEqual(firstRunAfter(parseSpec("@every 10s"), definition, 0, 35_000, bounds), {
 *   at: 40_000,
 *   run: 3,
 * });
 * ```
 */
export function firstRunAfter(
  spec: Spec,
  definition: Definition,
  definedAt: number,
  after: number,
  bounds: TickBounds,
): Run | null {
  const origin = Math.max(definedAt, bounds.start - 1);
  const at = spec.next(Math.max(after, origin), definition.anchor.getTime());
  if (at === null || at > bounds.end) return null;
  if (bounds.maxRuns === Infinity) return { at, run: 0 };
  const run = countTicks(spec, definition, origin, at, bounds.maxRuns + 1);
  return run > bounds.maxRuns ? null : { at, run };
}

/**
 * The tick of a job that follows its tick at `tick` (epoch ms), numbered `run`, or `null`
 * if none; `anchor` is the definition's anchor in epoch ms. The node calls it for each
 * tick fired.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nextTick, UNBOUNDED } from "./ticks.ts";
 * import { parseSpec } from "./spec.ts";
 * const spec = parseSpec("@every 10s");
 * assert.equal(nextTick(spec, 5_000, 15_000), 25_000);
 * assert.equal(nextTick(spec, 5_000, 15_000, 2, { ...UNBOUNDED, maxRuns: 2 }), null);
 * assert.equal(nextTick(spec, 5_000, 15_000, 1, { ...UNBOUNDED, end: 20_000 }), null);
 * ```
 */
export function nextTick(
  spec: Spec,
  anchor: number,
  tick: number,
  run = 0,
  bounds: TickBounds = UNBOUNDED,
): number | null {
  const next = spec.next(tick, anchor);
  return next === null || next > bounds.end || run >= bounds.maxRuns
    ? null
    : next;
}

/**
 * Counts the ticks of a job in (`from`, `to`], stopping at `limit`; with `bounds`, none
 * before `start` or after `end` (`maxRuns` is the caller's, through `limit`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { countTicks } from "./ticks.ts";
 * import { parseSpec } from "./spec.ts";
 * const definition = { jobs: [], anchor: new Date(0), paused: false };
 * assert.equal(countTicks(parseSpec("* * * * * *"), definition, 0, 10_000, 1000), 10);
 * ```
 */
export function countTicks(
  spec: Spec,
  definition: Definition,
  from: number,
  to: number,
  limit: number,
  bounds: TickBounds = UNBOUNDED,
): number {
  const anchor = definition.anchor.getTime();
  const last = Math.min(to, bounds.end);
  let count = 0;
  for (
    let tick = spec.next(Math.max(from, bounds.start - 1), anchor);
    tick !== null && tick <= last && count < limit;
    tick = spec.next(tick, anchor)
  ) count++;
  return count;
}
