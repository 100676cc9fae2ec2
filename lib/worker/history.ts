/**
 * Writing executions to the namespace's run history.
 *
 * @module
 */

import { decodeRunRecord, encodeRunRecord } from "../wire/mod.ts";
import type { Logger } from "../ops/log.ts";
import type { Namespace } from "../nats/namespace.ts";
import type { NamespaceNames } from "../nats/names.ts";
import { NoStreamError, type StreamSender } from "../nats/stream_sender.ts";
import type { RunRecord, Tick } from "../types.ts";
import type { WorkerMetrics } from "./types.ts";
import { NATS_TIMEOUT } from "./_util.ts";

/** The sender a {@link RunHistory} publishes through. */
export type HistorySender = Pick<
  StreamSender,
  "publish" | "connected" | "onReconnect"
>;

/**
 * The run history as a worker writes it: each record published on the subject of its
 * job through one inbox (a `StreamSender`: no request, timer and traces of its own per
 * record, so that records of runs ending together leave in one write), its stream's
 * acknowledgement awaited. While NATS is down, a record waits for it up to
 * {@link NATS_TIMEOUT}, as a JetStream publish did. A record that finds no stream (deleted
 * under the worker) has `restore` create it again (one attempt at a time, logged) and is
 * sent once more.
 *
 * @example
 * ```ts ignore
 * const sender = new StreamSender(nc, names.runStream, NATS_TIMEOUT);
 * const restore = () => namespace.provisionRunHistory();
 * const history = new RunHistory(sender, names, log, metrics, restore);
 * await history.write(record);
 * ```
 */
export class RunHistory {
  readonly #sender: HistorySender;
  readonly #names: Pick<NamespaceNames, "runSubject">;
  readonly #log: Logger;
  readonly #metrics: Pick<WorkerMetrics, "unrecorded">;
  readonly #restore: () => Promise<boolean>;
  #restoring: Promise<boolean> | undefined;
  #reconnected: PromiseWithResolvers<void> | undefined;

  constructor(
    sender: HistorySender,
    names: Pick<NamespaceNames, "runSubject">,
    log: Logger,
    metrics: Pick<WorkerMetrics, "unrecorded">,
    restore: () => Promise<boolean>,
  ) {
    this.#sender = sender;
    this.#names = names;
    this.#log = log;
    this.#metrics = metrics;
    this.#restore = restore;
    sender.onReconnect(() => {
      this.#reconnected?.resolve();
      this.#reconnected = undefined;
    });
  }

  /**
   * Writes `record` to the run history stream. When that fails (NATS stays down, the
   * stream is unavailable) the run is logged and counted as not recorded, and the
   * execution goes on: the history is a record, not part of the delivery.
   *
   * @returns True once the stream stored it, false when it was not recorded.
   */
  async write(record: RunRecord): Promise<boolean> {
    const publish = () =>
      this.#sender.publish(
        this.#names.runSubject(record.key, record.index),
        encodeRunRecord(record),
      );
    try {
      await this.#connected();
      try {
        await publish();
      } catch (err) {
        if (!(err instanceof NoStreamError) || !await this.#restored()) {
          throw err;
        }
        await publish();
      }
      return true;
    } catch (err) {
      this.#metrics.unrecorded++;
      this.#log.warn("run not recorded in the history", {
        key: record.key,
        index: record.index,
        scheduledAt: record.scheduledAt.toISOString(),
        error: (err as Error).message,
      });
      return false;
    }
  }

  /**
   * Creates the run history stream again, one attempt at a time for every record that
   * finds it missing; true when it exists now. Logs a stream created, and a failure.
   */
  #restored(): Promise<boolean> {
    return this.#restoring ??= this.#restore().then(
      (created) => {
        if (created) this.#log.warn("run history stream created again");
        return true;
      },
      (err) => {
        this.#log.warn("run history stream not created again", {
          error: (err as Error).message,
        });
        return false;
      },
    ).finally(() => this.#restoring = undefined);
  }

  /** Resolves once NATS is connected; rejects after {@link NATS_TIMEOUT}. */
  async #connected(): Promise<void> {
    if (this.#sender.connected) return;
    this.#reconnected ??= Promise.withResolvers();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) =>
      timer = setTimeout(
        () => reject(new Error(`NATS not back within ${NATS_TIMEOUT} ms`)),
        NATS_TIMEOUT,
      )
    );
    try {
      await Promise.race([this.#reconnected.promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * True when attempt `attempt - 1` of `tick` left no record in `runs`, the run history of
 * its job (oldest first, at most `limit` kept), under the tick's revision or under a
 * replacement's it ran as: that attempt never answered, its worker stopped or lost NATS
 * mid-call (or could not write its record). False for a first
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
    recordedAs(run.revision, tick.revision)
  );
  if (ofTick.some((run) => run.attempt === attempt - 1)) return false;
  return ofTick.length > 0 || runs.length < limit;
}

/**
 * True when a record of definition revision `recorded` may be of a tick of revision
 * `fired`: the same revision, or a later one, which the tick ran as (the definition's
 * replacement; see `superseded.ts`). An earlier revision is another definition's tick.
 */
function recordedAs(
  recorded: number | undefined,
  fired: number | undefined,
): boolean {
  if (recorded === undefined || fired === undefined) {
    return recorded === fired;
  }
  return recorded >= fired;
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
