/**
 * Ending an attempt: record it in the run history, settle its job's run state (pausing
 * the key after too many failures), publish its events and answer the queue.
 *
 * @module
 */

import type { JsMsg } from "@nats-io/jetstream";
import { pauseDefinition } from "../nats/definitions.ts";
import { publishEvent } from "../nats/events.ts";
import type { RunRecord, Tick } from "../types.ts";
import { answer } from "./answer.ts";
import type { Lease } from "./governor.ts";
import type { Outcome } from "./outcome.ts";
import { runRecord, type RunRecordInput } from "./run_record.ts";
import { now, thrownText, tickFields, type WorkerContext } from "./_util.ts";

/**
 * Ends an attempt that was due: records it, releases its job's lock and counts its
 * job's consecutive failures (pausing the key when they reach `pauseAfterFailures`),
 * publishes `failed` after the last attempt, and answers the queue. The lock is released
 * and the queue answered even when recording throws (the error is thrown after).
 */
export async function end(
  context: WorkerContext,
  message: JsMsg,
  tick: Tick,
  attempt: number,
  startedAt: Date,
  decided: Outcome,
  lease?: Lease,
): Promise<void> {
  try {
    await record(context, tick, attempt, startedAt, decided);
  } finally {
    await settle(context, tick, decided, lease);
    if (decided.outcome === "failed") {
      publishTickEvent(context, tick, "failed", decided.result.error);
    }
    answer(context.log, message, tick, attempt, decided);
  }
}

/**
 * Records attempt `attempt` of `tick`, counts it and reports it to `onRun`; an `onRun`
 * that throws is logged, not thrown.
 */
export async function record(
  context: WorkerContext,
  tick: Tick,
  attempt: number,
  startedAt: Date,
  decided: Pick<Outcome, "outcome"> & { result: RunRecordInput["result"] },
): Promise<void> {
  const record = runRecord({
    tick,
    attempt,
    startedAt,
    endedAt: now(context),
    outcome: decided.outcome,
    result: decided.result,
    worker: context.name,
  });
  await context.history.write(record);
  context.metrics[decided.outcome]++;
  report(context, record);
}

/** Calls the worker's `onRun` with `record`; what it throws is logged. */
function report(context: WorkerContext, record: RunRecord): void {
  try {
    context.onRun?.(record);
  } catch (err) {
    context.log.error("onRun failed; the run ends all the same", {
      ...tickFields(record),
      attempt: record.attempt,
      error: thrownText(err),
    });
  }
}

/** Publishes a tick event of `type` about `tick`. */
export function publishTickEvent(
  context: WorkerContext,
  tick: Tick,
  type: "failed" | "skipped",
  detail?: string,
): void {
  publishEvent(context.nc, context.namespace.names, {
    type,
    at: new Date(),
    key: tick.key,
    index: tick.index,
    scheduledAt: tick.scheduledAt,
    by: `worker ${context.name}`,
    ...(detail === undefined ? {} : { detail }),
  });
}

/**
 * Releases the job's lock and counts its consecutive failures, pausing the key when they
 * reach `pauseAfterFailures`; a run state that cannot be written, and a pause that fails,
 * are logged, each as what it is.
 */
async function settle(
  context: WorkerContext,
  tick: Tick,
  decided: Outcome,
  lease?: Lease,
): Promise<void> {
  let settled;
  try {
    settled = await context.governor.settle(tick, lease, decided.outcome);
  } catch (err) {
    context.log.warn(
      "run state not updated: the lock goes stale after the ack wait",
      { ...tickFields(tick), error: (err as Error).message },
    );
    return;
  }
  const { pause, failures } = settled;
  if (!pause) return;
  await pauseKey(context, tick, failures, decided.result.error).catch((err) =>
    context.log.warn("pausing the key after consecutive failures failed", {
      ...tickFields(tick),
      failures,
      error: (err as Error).message,
    })
  );
}

/** Pauses the key of `tick` after `failures` consecutive failed ticks of its job. */
async function pauseKey(
  context: WorkerContext,
  tick: Tick,
  failures: number,
  error?: string,
): Promise<void> {
  const note = `paused after ${failures} consecutive failed ticks` +
    (error === undefined ? "" : ` (last: ${error})`);
  const by = `worker ${context.name}`;
  // Not a definition replaced since the tick: its failures are not the new one's.
  const paused = await pauseDefinition(context.namespace, tick.key, {
    note,
    at: new Date().toISOString(),
    by,
  }, tick.revision);
  if (!paused) return;
  context.log.warn("key paused after consecutive failures", {
    key: tick.key,
    index: tick.index,
    failures,
    note,
  });
  publishEvent(context.nc, context.namespace.names, {
    type: "paused",
    at: new Date(),
    key: tick.key,
    index: tick.index,
    by,
    detail: note,
  });
}
