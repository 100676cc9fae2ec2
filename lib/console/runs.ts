/**
 * The last run of every job of the namespace, from the run history stream: its last
 * record per job at start (and again when the stream is recreated), then each record as
 * workers write it (the page filter "failing" reads it, and live pages are told of each
 * run).
 *
 * @module
 */

import type { Namespace } from "../nats/namespace.ts";
import type { Logger } from "../ops/log.ts";
import type { RunRecord } from "../types.ts";
import { decodeRunRecord, definedRevision, ofDefinition } from "../wire/mod.ts";
import type { IndexEntry } from "./index.ts";

/**
 * Follows the run history of a namespace. When its stream is deleted or recreated
 * (checked every 3 s), or the follow ends or fails, the last runs held are dropped and
 * the stream read again from its last record per job, logged
 * `reading the run history again`.
 *
 * @example
 * ```ts ignore
 * const runs = await RunFollower.start(namespace, log);
 * console.log(runs.failing(index.get("report")!));
 * await runs.stop();
 * ```
 */
export class RunFollower {
  readonly #last = new Map<string, Map<number, RunRecord>>();
  readonly #listeners = new Set<(run: RunRecord) => void>();
  readonly #stopping = new AbortController();
  #following: Promise<void> = Promise.resolve();

  private constructor() {}

  /** Starts following; resolves once the last records held are read. */
  static async start(namespace: Namespace, log: Logger): Promise<RunFollower> {
    const follower = new RunFollower();
    const { following } = await namespace.keepFollowing("runs", {
      each: (entry) => {
        try {
          follower.#record(decodeRunRecord(entry.value));
        } catch { /* not a run record */ }
      },
      reload: (reason) => {
        log.warn("reading the run history again", { reason });
        follower.#last.clear();
      },
      log,
    }, follower.#stopping.signal);
    follower.#following = following;
    return follower;
  }

  /** The last run of each job of `key`, by job index. */
  lastRuns(key: string): Map<number, RunRecord> {
    return this.#last.get(key) ?? new Map();
  }

  /**
   * True when the last run of a job of `entry` failed, of its definition as it is now: a
   * run of a definition `set` since, or of a job index it no longer has, does not count.
   */
  failing(entry: IndexEntry): boolean {
    const revision = definedRevision(entry.definition, entry.revision);
    const jobs = entry.definition.jobs.length;
    for (const [index, run] of this.lastRuns(entry.key)) {
      if (
        index < jobs && run.outcome === "failed" && ofDefinition(run, revision)
      ) return true;
    }
    return false;
  }

  /** Calls `listener` with each new run; returns the call that stops it. */
  subscribe(listener: (run: RunRecord) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops following. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#following.catch(() => {});
  }

  #record(run: RunRecord): void {
    const runs = this.#last.get(run.key) ?? new Map<number, RunRecord>();
    runs.set(run.index, run);
    this.#last.set(run.key, runs);
    for (const listener of this.#listeners) listener(run);
  }
}
