/**
 * A job's run policy as the node applies it: read once when its definition loads, then
 * one comparison per tick for a job without one.
 *
 * @module
 */

import type { NamespaceNames } from "../nats/names.ts";
import type { Logger } from "../ops/log.ts";
import { parseDuration } from "../spec/duration.ts";
import { policyJitter, sendTime } from "../spec/jitter.ts";
import { nextTick, type TickBounds, tickBounds } from "../spec/ticks.ts";
import type { CatchupPolicy, JobPolicy } from "../types.ts";
import type { Scheduled } from "./types.ts";

/** How the node fires the ticks of one job. */
export interface JobRule {
  /** `start`, `end` and `maxRuns`. */
  readonly bounds: TickBounds;
  /** The jitter, in whole ms (0: none). */
  readonly jitter: number;
  /** Which late ticks are sent. */
  readonly catchup: CatchupPolicy;
  /** How late after its send time a tick may still be sent, in ms. */
  readonly window: number;
}

/**
 * The rules of the jobs of one node: `catchup` is the node's window (for jobs that set
 * none), `duplicateWindow` the job stream's, which no window may pass: a longer
 * `catchupWindow` is cut to it, with a warning, so that a late copy of a tick is still
 * deduplicated.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JobRules } from "./rule.ts";
 * import { createLogger } from "../ops/log.ts";
 * const lines: string[] = [];
 * const rules = new JobRules(60_000, 120_000, createLogger({ write: (l) => lines.push(l) }));
 * assert.equal(rules.of(undefined, "a", 0), rules.of(undefined, "b", 0), "one plain rule");
 * const rule = rules.of({ jitter: "1.5s", catchup: "latest", catchupWindow: "5m" }, "a", 0);
 * assert.deepEqual([rule.jitter, rule.catchup, rule.window], [1500, "latest", 120_000]);
 * assert.match(lines[0], /catchupWindow is longer than the job stream's duplicate window/);
 * ```
 */
export class JobRules {
  readonly #plain: JobRule;
  readonly #duplicateWindow: number;
  readonly #log: Logger;

  constructor(catchup: number, duplicateWindow: number, log: Logger) {
    this.#plain = {
      bounds: tickBounds(undefined),
      jitter: 0,
      catchup: "all",
      window: catchup,
    };
    this.#duplicateWindow = duplicateWindow;
    this.#log = log;
  }

  /** The rule of the policy of job `index` of `key`. */
  of(policy: JobPolicy | undefined, key: string, index: number): JobRule {
    if (policy === undefined) return this.#plain;
    let window = this.#plain.window;
    if (policy.catchupWindow !== undefined) {
      window = parseDuration(policy.catchupWindow);
      if (window > this.#duplicateWindow) {
        this.#log.warn(
          "catchupWindow is longer than the job stream's duplicate window; using the window",
          {
            key,
            index,
            catchupWindow: policy.catchupWindow,
            duplicateWindow: this.#duplicateWindow,
          },
        );
        window = this.#duplicateWindow;
      }
    }
    return {
      bounds: tickBounds(policy),
      jitter: policyJitter(policy),
      catchup: policy.catchup ?? "all",
      window,
    };
  }
}

/** When the node sends the tick of `item` scheduled at `at` (see `sendTime`). */
export function fireTime(
  names: NamespaceNames,
  item: Scheduled,
  at: number,
): number {
  const { jitter } = item.rule;
  return jitter === 0 ? at : sendTime(
    item.spec,
    item.anchor,
    names.tickId(item.key, item.index, at),
    at,
    jitter,
  );
}

/**
 * Moves `item` to its next tick (`due`, `run`, `firesAt`); `false` when it has none (past
 * its spec, its `end` or its `maxRuns`). The tick prepared for the one it leaves, if it was
 * not sent (held, given up, or left to another node), is dropped: its bytes share a buffer
 * with other messages (see `StreamSender.encode`), which it would keep alive.
 */
export function advance(names: NamespaceNames, item: Scheduled): boolean {
  item.prepared = undefined;
  const due = nextTick(
    item.spec,
    item.anchor,
    item.due,
    item.run,
    item.rule.bounds,
  );
  if (due === null) return false;
  item.due = due;
  item.run++;
  item.firesAt = fireTime(names, item, due);
  return true;
}
