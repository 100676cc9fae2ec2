/**
 * Private helpers of the worker: what the steps of an execution share.
 *
 * @module
 */

import type { JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import type { Logger } from "../ops/log.ts";
import type { Namespace } from "../nats/namespace.ts";
import type { ServerClock } from "../nats/server_clock.ts";
import type { RunRecord, Tick } from "../types.ts";
import type { Governor } from "./governor.ts";
import type { RunHistory } from "./history.ts";
import type { ModeHandler } from "./handler.ts";
import type { RetryPolicy } from "./outcome.ts";
import type { ReadDefinition } from "./superseded.ts";
import type { WorkerMetrics } from "./types.ts";

/** What executing a tick needs of its worker. */
export interface WorkerContext {
  /** The connection, for events. */
  readonly nc: NatsConnection;
  /** The namespace consumed. */
  readonly namespace: Namespace;
  /** The worker's name, recorded in the run history and the events. */
  readonly name: string;
  /** Where the worker logs. */
  readonly log: Logger;
  /** The server's clock, which times the runs recorded. */
  readonly clock: ServerClock;
  /** The counters of the worker, by outcome. */
  readonly metrics: WorkerMetrics;
  /** Reports each run recorded. */
  readonly onRun: ((record: RunRecord) => void) | undefined;
  /** The handler of each mode. */
  readonly handlers: Map<string, ModeHandler>;
  /** The worker's retry policy, before a job's own. */
  readonly retry: RetryPolicy;
  /** How often a run in progress tells the queue it is working, in ms. */
  readonly progressEvery: number;
  /** Reads a key's definition, to drop the ticks of a removed or replaced one. */
  readonly readDefinition: ReadDefinition;
  /** Where the records of the runs are written. */
  readonly history: RunHistory;
  /** The overlap locks and failure counts of governed jobs. */
  readonly governor: Governor;
  /** Aborted once the worker stops. */
  readonly stopping: AbortSignal;
  /**
   * The ticks this worker is executing, endings included, by {@link storedAs}: a message
   * delivered again is stored as the same.
   */
  readonly executing: Set<string>;
}

/** How long the worker waits for NATS to answer, or to be back, in ms: as JetStream's requests. */
export const NATS_TIMEOUT = 5000;

/** The server's time now, as a date. */
export function now(context: WorkerContext): Date {
  return new Date(context.clock.now());
}

/** The fields that name a tick in a log line. */
export function tickFields(
  tick: Pick<Tick, "key" | "index" | "scheduledAt">,
): { key: string; index: number; scheduledAt: string } {
  return {
    key: tick.key,
    index: tick.index,
    scheduledAt: tick.scheduledAt.toISOString(),
  };
}

/**
 * What was thrown, as text: an error's message, a string as it is, anything else as
 * `threw <its text>` (a handler's `reject()` is `threw undefined`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { thrownText } from "./_util.ts";
 * assert.equal(thrownText(new Error("boom")), "boom");
 * assert.equal(thrownText("boom"), "boom");
 * assert.equal(thrownText(undefined), "threw undefined");
 * assert.equal(thrownText(Object.create(null)), "threw a value without text");
 * ```
 */
export function thrownText(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  if (typeof thrown === "string") return thrown;
  try {
    return `threw ${String(thrown)}`;
  } catch {
    return "threw a value without text";
  }
}

/**
 * Which stored message `message` is: its stream sequence and store time. The sequence
 * alone starts again at 1 in a job stream deleted and created again, while ticks of the
 * old one may still run.
 */
export function storedAs(message: JsMsg): string {
  return `${message.seq}@${message.info.timestampNanos}`;
}
