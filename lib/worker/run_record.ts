/**
 * The record of one execution, as the worker writes it to the run history.
 *
 * @module
 */

import type { RunOutcome, RunRecord, Tick } from "../types.ts";
import type { RunResult } from "./handler.ts";

/** How many characters of a response, and of an error, the run history keeps. */
export const RESPONSE_LIMIT = 1024;

/** What {@link runRecord} records. */
export interface RunRecordInput {
  /** The tick executed. */
  tick: Tick;
  /** 1 for the first try, 2 for the first retry, and so on. */
  attempt: number;
  /** When the execution started. */
  startedAt: Date;
  /** When it ended. */
  endedAt: Date;
  /** How it ended, as decided. */
  outcome: RunOutcome;
  /** The handler's result: its status, response and error are kept. */
  result: Partial<RunResult>;
  /** The worker's name. */
  worker: string;
}

/**
 * Builds the record of one execution; the response and the error are cut to
 * {@link RESPONSE_LIMIT} characters (a custom handler's error may be of any length: a
 * record over the server's largest message would not be written).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runRecord } from "./run_record.ts";
 * const record = runRecord({
 *   tick: {
 *     namespace: "beta", key: "test", index: 0, scheduledAt: new Date(0),
 *     mode: "HTTP", spec: "@hourly", option: {},
 *   },
 *   attempt: 1,
 *   startedAt: new Date(1000),
 *   endedAt: new Date(1012),
 *   outcome: "success",
 *   result: { outcome: "success", status: 200, response: "ok" },
 *   worker: "w1",
 * });
 * assert.equal(record.durationMs, 12);
 * assert.equal(record.status, 200);
 * ```
 */
export function runRecord(input: RunRecordInput): RunRecord {
  const { tick, result } = input;
  return {
    key: tick.key,
    index: tick.index,
    scheduledAt: tick.scheduledAt,
    attempt: input.attempt,
    startedAt: input.startedAt,
    durationMs: input.endedAt.getTime() - input.startedAt.getTime(),
    outcome: input.outcome,
    worker: input.worker,
    ...(tick.revision === undefined ? {} : { revision: tick.revision }),
    ...(tick.trigger === undefined ? {} : { trigger: tick.trigger }),
    ...(result.status === undefined ? {} : { status: result.status }),
    ...(result.response === undefined
      ? {}
      : { response: kept(result.response) }),
    ...(result.error === undefined ? {} : { error: kept(result.error) }),
  };
}

/** What the run history keeps of `text`: its first {@link RESPONSE_LIMIT} characters. */
function kept(text: string): string {
  return text.slice(0, RESPONSE_LIMIT);
}
