/**
 * Writing executions to the namespace's run history.
 *
 * @module
 */

import { decodeRunRecord, encodeRunRecord } from "../wire/mod.ts";
import type { Logger } from "../ops/log.ts";
import type { Namespace } from "../nats/namespace.ts";
import type { RunRecord, Tick } from "../types.ts";

/**
 * Writes `record` to the run history stream, on the subject of its job. When that fails
 * (the connection is gone, the stream is unavailable) the run is logged as not recorded,
 * and the execution goes on: the history is a record, not part of the delivery.
 *
 * @example
 * ```ts ignore
 * import { Namespace } from "../nats/namespace.ts";
 * import { createLogger } from "../ops/log.ts";
 * import { writeRun } from "./history.ts";
 * const namespace = await Namespace.open(nc, "beta");
 * await writeRun(namespace, createLogger(), record);
 * ```
 */
export async function writeRun(
  namespace: Pick<Namespace, "js" | "names">,
  log: Logger,
  record: RunRecord,
): Promise<void> {
  const { js, names } = namespace;
  try {
    await js.publish(
      names.runSubject(record.key, record.index),
      encodeRunRecord(record),
    );
  } catch (err) {
    log.warn("run not recorded in the history", {
      key: record.key,
      index: record.index,
      scheduledAt: record.scheduledAt.toISOString(),
      error: (err as Error).message,
    });
  }
}

/**
 * True when attempt `attempt - 1` of `tick` left no record in `runs`, the run history of
 * its job (oldest first, at most `limit` kept): that attempt never answered, its worker
 * stopped or lost NATS mid-call (or could not write its record). False for a first
 * attempt, and when `runs` is full and holds nothing of the tick: its records may have
 * been dropped, so nothing is known.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { previousAttemptLost } from "./history.ts";
 * const tick = {
 *   namespace: "beta", key: "test", index: 0, scheduledAt: new Date(0),
 *   mode: "log", spec: "@hourly", option: {},
 * };
 * const run = {
 *   key: "test", index: 0, scheduledAt: new Date(0), attempt: 1, startedAt: new Date(0),
 *   durationMs: 1, outcome: "retry" as const, worker: "w1",
 * };
 * assert.equal(previousAttemptLost([run], tick, 2, 100), false);
 * assert.equal(previousAttemptLost([run], tick, 3, 100), true);
 * assert.equal(previousAttemptLost([], tick, 2, 100), true);
 * ```
 */
export function previousAttemptLost(
  runs: RunRecord[],
  tick: Tick,
  attempt: number,
  limit: number,
): boolean {
  if (attempt <= 1) return false;
  const ofTick = runs.filter((run) =>
    run.scheduledAt.getTime() === tick.scheduledAt.getTime() &&
    run.revision === tick.revision
  );
  if (ofTick.some((run) => run.attempt === attempt - 1)) return false;
  return ofTick.length > 0 || runs.length < limit;
}

/**
 * {@link previousAttemptLost} for delivery `attempt` of `tick`, reading its job's run
 * history (only for a redelivery).
 *
 * @example
 * ```ts ignore
 * if (await lostBefore(namespace, tick, message.info.deliveryCount)) { ... }
 * ```
 */
export async function lostBefore(
  namespace: Pick<Namespace, "read" | "names" | "runStream">,
  tick: Tick,
  attempt: number,
): Promise<boolean> {
  if (attempt <= 1) return false;
  const { names } = namespace;
  const runs: RunRecord[] = [];
  for await (
    const run of namespace.read(
      names.runStream,
      names.runSubject(tick.key, tick.index),
      decodeRunRecord,
    )
  ) runs.push(run);
  const limit = namespace.runStream.config.max_msgs_per_subject;
  return previousAttemptLost(
    runs,
    tick,
    attempt,
    limit > 0 ? limit : Infinity,
  );
}
