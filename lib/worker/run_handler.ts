/**
 * Running a tick's handler, whatever it does.
 *
 * @module
 */

import type { JsMsg } from "@nats-io/jetstream";
import type { Tick } from "../types.ts";
import type { ModeHandler, RunResult } from "./handler.ts";
import { thrownText } from "./_util.ts";
import { isRecord } from "../_util.ts";

/** The parts of the queue message {@link runHandler} reads. */
export type RunMessage = Pick<JsMsg, "headers" | "info" | "seq" | "working">;

/**
 * Runs `handler` on attempt `attempt` of `tick` and says how it went: nothing returned is
 * a success, anything thrown (an error or not: see {@link thrownText}) a retry, no
 * handler at all a failure, and so is a result that is not a `RunResult` (see
 * {@link resultOf}). While it runs, the message's progress is signalled every
 * `progressEvery` ms, so that the queue keeps it. The handler gets `signal`, aborted
 * when the run is cancelled.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { RunMessage } from "./run_handler.ts";
 * import { runHandler } from "./run_handler.ts";
 * const tick = {
 *   namespace: "beta", key: "test", index: 0, scheduledAt: new Date(),
 *   mode: "log", spec: "@hourly", option: {},
 * };
 * const message = {
 *   headers: undefined, info: { stream: "jobs" }, seq: 7, working() {},
 * } as unknown as RunMessage;
 * const signal = new AbortController().signal;
 * const result = await runHandler(undefined, tick, message, 1, 1000, signal);
 * assert.deepEqual(result, { outcome: "failed", error: "no handler for mode log" });
 * ```
 */
export async function runHandler(
  handler: ModeHandler | undefined,
  tick: Tick,
  message: RunMessage,
  attempt: number,
  progressEvery: number,
  signal: AbortSignal,
): Promise<RunResult> {
  if (!handler) {
    return { outcome: "failed", error: `no handler for mode ${tick.mode}` };
  }
  const progress = setInterval(() => {
    try {
      message.working();
    } catch { /* the connection is gone: the message will be redelivered */ }
  }, progressEvery);
  try {
    const msgId = message.headers?.get("Nats-Msg-Id") ??
      `${message.info.stream}.${message.seq}`;
    return resultOf(await handler(tick, { attempt, msgId, signal }));
  } catch (err) {
    return { outcome: "retry", error: thrownText(err) };
  } finally {
    clearInterval(progress);
  }
}

const OUTCOMES: ReadonlySet<unknown> = new Set(["success", "retry", "failed"]);

/**
 * What a handler resolved with, as a run's result: nothing is a success; a `RunResult`
 * keeps the fields of the right type; anything else (a `Response` from plain JavaScript,
 * an `outcome` that is none of the three) fails the run, saying so, where it was retried
 * for ever and recorded without an outcome, which readers skip.
 */
function resultOf(value: unknown): RunResult {
  if (value === undefined || value === null) return { outcome: "success" };
  if (!isRecord(value) || !OUTCOMES.has(value.outcome)) {
    return {
      outcome: "failed",
      error: "the handler resolved with something that is not a RunResult",
    };
  }
  const result: RunResult = { outcome: value.outcome as RunResult["outcome"] };
  if (typeof value.status === "number") result.status = value.status;
  if (typeof value.response === "string") result.response = value.response;
  if (typeof value.error === "string") result.error = value.error;
  if (typeof value.retryAfter === "number") {
    result.retryAfter = value.retryAfter;
  }
  return result;
}
