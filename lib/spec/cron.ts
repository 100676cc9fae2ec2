/**
 * Cron specs in a zone: the wall-time rule, stepping from one UTC-offset period to the
 * next.
 *
 * @module
 */

import type { Field } from "./field.ts";
import { WallMatcher } from "./matcher.ts";
import type { Zone } from "./zone.ts";

/**
 * How a spec treats wall times that a DST change skips or repeats: `exact` (the default)
 * fires at each instant whose wall time matches, so a skipped time never and a repeated
 * one twice; `once` fires a skipped time at the instant of the jump and a repeated one at
 * its first occurrence only.
 */
export type DstRule = "exact" | "once";

/**
 * The fire times of six compiled fields read in a zone (or UTC), in whole seconds.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { parseFields } from "./grammar.ts";
 * import { CronSteps } from "./cron.ts";
 * import { Zone } from "./zone.ts";
 * const fields = parseFields("s", ["0", "30", "2", "*", "*", "*"]);
 * const from = Date.UTC(2026, 2, 8) / 1000;
 * const newYork = Zone.of("America/New_York");
 * strictEqual(new CronSteps(fields, newYork, "once").next(from), Date.UTC(2026, 2, 8, 7) / 1000);
 * strictEqual(new CronSteps(fields, newYork, "exact").next(from), Date.UTC(2026, 2, 9, 6, 30) / 1000);
 * ```
 */
export class CronSteps {
  readonly #wall: WallMatcher;

  constructor(
    fields: readonly Field[],
    readonly zone: Zone | undefined,
    readonly dst: DstRule,
  ) {
    this.#wall = new WallMatcher(fields);
  }

  /** The first fire time at or after `from`, or `null` if the spec never fires. */
  next(from: number): number | null {
    const zone = this.zone;
    if (zone === undefined || zone.fixed !== undefined) {
      const offset = zone?.fixed ?? 0;
      const wall = this.#wall.next(from + offset);
      return wall === null ? null : wall - offset;
    }
    for (let start = from;;) {
      const offset = zone.offset(start);
      let wall = start + offset;
      if (this.dst === "once") {
        const change = zone.lastChange(start);
        if (change !== undefined && change.before > offset) {
          // Clocks went back: the wall times up to the change's wall time already came.
          wall = Math.max(wall, change.at + change.before);
        } else if (
          change?.at === start && this.#skipped(start, change.before, offset)
        ) {
          return start;
        }
      }
      const next = this.#wall.next(wall);
      if (next === null) return null;
      // The match counts if the offset still holds then; else go on from the change.
      const change = zone.nextChange(start, next - offset);
      if (change === Infinity) return next - offset;
      start = change;
    }
  }

  /** Whether a wall time that the change at `at` skips matches. */
  #skipped(at: number, before: number, after: number): boolean {
    const next = this.#wall.next(at + before);
    return next !== null && next < at + after;
  }
}
