/**
 * Which ticks a stored definition has: the rule every node and the client share, so that
 * all of them agree on the tick times.
 *
 * A job of a definition ticks at each fire time of its spec (`@every` counted from the
 * definition's anchor) that is later than the moment the definition was stored
 * (`definedAt`, the KV revision's server timestamp).
 *
 * @module
 */

import type { Spec } from "./spec.ts";
import type { Definition } from "../types.ts";

/**
 * The first tick of a job strictly after `after` (epoch ms), or `null` if none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { firstTickAfter } from "./ticks.ts";
 * import { parseSpec } from "./spec.ts";
 * const definition = { jobs: [], anchor: new Date(0), paused: false };
 * assert.equal(firstTickAfter(parseSpec("@every 10s"), definition, 0, 25_000), 30_000);
 * ```
 */
export function firstTickAfter(
  spec: Spec,
  definition: Definition,
  definedAt: number,
  after: number,
): number | null {
  return nextTick(
    spec,
    definition.anchor.getTime(),
    Math.max(after, definedAt),
  );
}

/**
 * The tick of a job that follows its tick at `tick` (epoch ms), or `null` if none;
 * `anchor` is the definition's anchor in epoch ms. The node calls it for each tick fired.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nextTick } from "./ticks.ts";
 * import { parseSpec } from "./spec.ts";
 * assert.equal(nextTick(parseSpec("@every 10s"), 5_000, 15_000), 25_000);
 * ```
 */
export function nextTick(
  spec: Spec,
  anchor: number,
  tick: number,
): number | null {
  return spec.next(tick, anchor);
}

/**
 * Counts the ticks of a job in (`from`, `to`], stopping at `limit`.
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
): number {
  const anchor = definition.anchor.getTime();
  let count = 0;
  for (
    let tick = firstTickAfter(spec, definition, from, from);
    tick !== null && tick <= to && count < limit;
    tick = nextTick(spec, anchor, tick)
  ) count++;
  return count;
}
