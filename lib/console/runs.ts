/**
 * The last run of every job of the namespace, from the run history stream: its last
 * record per job at start, then each record as workers write it (the page filter
 * "failing" reads it, and live pages are told of each run).
 *
 * @module
 */

import { DeliverPolicy } from "@nats-io/jetstream";
import type { Namespace } from "../nats/namespace.ts";
import type { RunRecord } from "../types.ts";
import { decodeRunRecord } from "../wire/mod.ts";

/**
 * Follows the run history of a namespace.
 *
 * @example
 * ```ts ignore
 * const runs = await RunFollower.start(namespace);
 * console.log(runs.failing("report"));
 * await runs.stop();
 * ```
 */
export class RunFollower {
  readonly #last = new Map<string, Map<number, RunRecord>>();
  readonly #listeners = new Set<(run: RunRecord) => void>();
  #stop: () => Promise<void> = () => Promise.resolve();

  private constructor() {}

  /** Starts following; resolves once the last records held are read. */
  static async start(namespace: Namespace): Promise<RunFollower> {
    const follower = new RunFollower();
    const { names, js } = namespace;
    const consumer = await js.consumers.get(names.runStream, {
      filter_subjects: names.runSubjects,
      deliver_policy: DeliverPolicy.LastPerSubject,
    });
    const messages = await consumer.consume();
    const { num_pending } = await consumer.info(true);
    const { promise: loaded, resolve } = Promise.withResolvers<void>();
    if (num_pending === 0) resolve();
    const done = (async () => {
      for await (const message of messages) {
        try {
          follower.#record(decodeRunRecord(message.data));
        } catch { /* not a run record */ }
        if (message.info.pending === 0) resolve();
      }
    })().finally(resolve);
    follower.#stop = async () => {
      messages.stop();
      await done;
    };
    await loaded;
    return follower;
  }

  /** The last run of each job of `key`, by job index. */
  lastRuns(key: string): Map<number, RunRecord> {
    return this.#last.get(key) ?? new Map();
  }

  /** True when the last run of a job of `key` failed. */
  failing(key: string): boolean {
    for (const run of this.lastRuns(key).values()) {
      if (run.outcome === "failed") return true;
    }
    return false;
  }

  /** Calls `listener` with each new run; returns the call that stops it. */
  subscribe(listener: (run: RunRecord) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops following. */
  stop(): Promise<void> {
    return this.#stop();
  }

  #record(run: RunRecord): void {
    const runs = this.#last.get(run.key) ?? new Map<number, RunRecord>();
    runs.set(run.index, run);
    this.#last.set(run.key, runs);
    for (const listener of this.#listeners) listener(run);
  }
}
