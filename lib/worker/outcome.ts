/**
 * What becomes of an execution: its final outcome and the worker's answer to the queue.
 *
 * @module
 */

import { backoff } from "../_util.ts";
import { parseDuration } from "../spec/duration.ts";
import type { JobPolicy, RunOutcome } from "../types.ts";
import type { RunResult } from "./handler.ts";

/** How many times a tick is tried, and how long the worker waits between tries (ms). */
export interface RetryPolicy {
  /** Tries per tick. */
  maxAttempts: number;
  /** The first retry's delay, doubling each time. */
  retryDelay: number;
  /** The longest retry delay. */
  maxRetryDelay: number;
}

/**
 * The retry policy of a job: its `policy.retry` (validated when its definition was),
 * field by field over the worker's `defaults`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jobRetryPolicy } from "./outcome.ts";
 * const defaults = { maxAttempts: 5, retryDelay: 1000, maxRetryDelay: 300_000 };
 * assert.deepEqual(jobRetryPolicy(defaults, { maxAttempts: 2, delay: "10s" }), {
 *   maxAttempts: 2, retryDelay: 10_000, maxRetryDelay: 300_000,
 * });
 * assert.equal(jobRetryPolicy(defaults, undefined), defaults);
 * ```
 */
export function jobRetryPolicy(
  defaults: RetryPolicy,
  retry: JobPolicy["retry"],
): RetryPolicy {
  if (retry === undefined) return defaults;
  return {
    maxAttempts: retry.maxAttempts ?? defaults.maxAttempts,
    retryDelay: retry.delay === undefined
      ? defaults.retryDelay
      : parseDuration(retry.delay),
    maxRetryDelay: retry.maxDelay === undefined
      ? defaults.maxRetryDelay
      : parseDuration(retry.maxDelay),
  };
}

/**
 * The answer to the queue: `ack` (done), `nak` (deliver again after `delay` ms) or `term`
 * (never deliver again).
 */
export type QueueAnswer =
  | { kind: "ack" }
  | { kind: "nak"; delay: number }
  | { kind: "term"; reason: string | undefined };

/** What becomes of one execution. */
export interface Outcome {
  /** The outcome recorded and counted. */
  outcome: RunOutcome;
  /** The handler's result, or the failure standing for it when the handler was not run. */
  result: RunResult;
  /** How the worker answers the queue. */
  answer: QueueAnswer;
}

/**
 * True when a tick delivered `attempt` times has had all its tries, none answered (the
 * worker died or lost its connection each time): it is not run again.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exhausted } from "./outcome.ts";
 * assert.equal(exhausted(5, 5), false);
 * assert.equal(exhausted(6, 5), true);
 * ```
 */
export function exhausted(attempt: number, maxAttempts: number): boolean {
  return attempt > maxAttempts;
}

/**
 * The outcome of a tick not run, terminated: `superseded` (its definition was removed or
 * replaced since) or `skipped` (a run of its job is in progress, overlap `skip`, or one
 * is already waiting, `buffer`); `reason` says why.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { notRun } from "./outcome.ts";
 * const decided = notRun("superseded", "definition removed");
 * assert.equal(decided.outcome, "superseded");
 * assert.deepEqual(decided.answer, { kind: "term", reason: "definition removed" });
 * ```
 */
export function notRun(
  outcome: "superseded" | "skipped",
  reason: string,
): Outcome {
  return {
    outcome,
    result: { outcome: "failed", error: reason },
    answer: { kind: "term", reason },
  };
}

/**
 * The outcome of a run cancelled for a newer tick of its job (overlap `cancel`),
 * whatever its handler returned: recorded as `cancelled` with `reason`, terminated.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cancelled } from "./outcome.ts";
 * const decided = cancelled({ outcome: "retry", error: "aborted" }, "replaced");
 * assert.equal(decided.outcome, "cancelled");
 * assert.equal(decided.result.error, "replaced");
 * assert.deepEqual(decided.answer, { kind: "term", reason: "replaced" });
 * ```
 */
export function cancelled(result: RunResult, reason: string): Outcome {
  return {
    outcome: "cancelled",
    result: { ...result, outcome: "failed", error: reason },
    answer: { kind: "term", reason },
  };
}

/**
 * Decides the outcome of attempt `attempt` of a tick from the handler's `result`
 * (`undefined` when the handler was not run because the tick is {@link exhausted}). A
 * retry on the last attempt fails for good; a retry waits for the backoff, or for the
 * handler's `retryAfter` when that is longer, at most the policy's `maxRetryDelay`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decideOutcome } from "./outcome.ts";
 * const policy = { maxAttempts: 5, retryDelay: 1000, maxRetryDelay: 300_000 };
 * const decided = decideOutcome({ outcome: "retry", error: "HTTP 503" }, 3, policy);
 * assert.equal(decided.outcome, "retry");
 * assert.deepEqual(decided.answer, { kind: "nak", delay: 4000 });
 * ```
 */
export function decideOutcome(
  result: RunResult | undefined,
  attempt: number,
  policy: RetryPolicy,
): Outcome {
  if (result === undefined) {
    const error = `delivered ${attempt} times without an answer`;
    return {
      outcome: "failed",
      result: { outcome: "failed", error },
      answer: { kind: "term", reason: error },
    };
  }
  const outcome: RunOutcome =
    result.outcome === "retry" && attempt >= policy.maxAttempts
      ? "failed"
      : result.outcome;
  if (outcome === "success") {
    return { outcome, result, answer: { kind: "ack" } };
  }
  if (outcome === "failed") {
    return { outcome, result, answer: { kind: "term", reason: result.error } };
  }
  const delay = retryDelay(attempt, policy, result.retryAfter);
  return { outcome, result, answer: { kind: "nak", delay } };
}

/**
 * How long retry `attempt` waits: the backoff, or `retryAfter` when that is longer (not a
 * number: none), never longer than `maxRetryDelay`. A `Retry-After` of days would outlive
 * the tick in the job stream (kept 24 h), which then expires with its last record a
 * `retry`; a huge one would overflow the nanoseconds of the server's delay.
 */
function retryDelay(
  attempt: number,
  policy: RetryPolicy,
  retryAfter = 0,
): number {
  const { retryDelay, maxRetryDelay } = policy;
  const asked = Math.min(retryAfter, maxRetryDelay) || 0;
  return Math.max(backoff(attempt, retryDelay, maxRetryDelay), asked);
}
