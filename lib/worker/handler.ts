/**
 * The contract between the worker and the code that runs a mode's jobs.
 *
 * @module
 */

import type { Tick } from "../types.ts";

/** What a handler learns about the execution it is asked for. */
export interface RunContext {
  /** 1 for the first try, 2 for the first retry, and so on. */
  attempt: number;
  /** The tick's message id (`Nats-Msg-Id`): the same for every attempt of one tick. */
  msgId: string;
  /**
   * Aborted when the run is cancelled (overlap `cancel`: a newer tick of the job replaces
   * it): stop and return; the run is recorded `cancelled` whatever is returned.
   */
  signal: AbortSignal;
}

/** How an execution ended, as a handler reports it. */
export interface RunResult {
  /** `success`, `retry` (transient: try again later) or `failed` (permanent). */
  outcome: "success" | "retry" | "failed";
  /** The HTTP status, when there was a response. */
  status?: number;
  /** The first bytes of the response. */
  response?: string;
  /** What went wrong. */
  error?: string;
  /** The earliest the next attempt should start, in ms (from `Retry-After`). */
  retryAfter?: number;
}

/**
 * Runs the jobs of one mode. Resolve with a {@link RunResult} (or nothing, for success);
 * a thrown error counts as a transient failure and is retried.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ModeHandler } from "@x/schedule/worker";
 * const seen: string[] = [];
 * const log: ModeHandler = async (tick) => {
 *   seen.push(tick.key);
 * };
 * const tick = {
 *   namespace: "beta", key: "test", index: 0, scheduledAt: new Date(),
 *   mode: "log", spec: "@hourly", option: {},
 * };
 * const context = { attempt: 1, msgId: "id", signal: new AbortController().signal };
 * assert.equal(await log(tick, context), undefined);
 * assert.deepEqual(seen, ["test"]);
 * ```
 */
export type ModeHandler = (
  message: Tick,
  context: RunContext,
) => Promise<RunResult | void>;
