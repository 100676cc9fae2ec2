/**
 * The last run of every job of the namespace, from the run history stream: its last
 * record per job at start (and again when the stream is recreated), then each record as
 * workers write it (the page filter "failing" reads it, and live pages are told of each
 * run).
 *
 * @module
 */

import type { Namespace } from "../nats/namespace.ts";
import { followAgain } from "../nats/stream_follow.ts";
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
  readonly #namespace: Namespace;
  readonly #log: Logger;
  readonly #stopping = new AbortController();
  #loaded = false;
  #following: Promise<void> = Promise.resolve();

  private constructor(namespace: Namespace, log: Logger) {
    this.#namespace = namespace;
    this.#log = log;
  }

  /** Starts following; resolves once the last records held are read. */
  static async start(namespace: Namespace, log: Logger): Promise<RunFollower> {
    const follower = new RunFollower(namespace, log);
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    follower.#following = followAgain(() => follower.#pass(resolve), {
      loaded: () => follower.#loaded,
      signal: follower.#stopping.signal,
      reload: (reason) => {
        log.warn("reading the run history again", { reason });
        follower.#last.clear();
      },
    });
    follower.#following.then(resolve, reject);
    await promise;
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

  /**
   * Reads the last record of each job, then follows the stream until it changes or the
   * follow fails; returns why.
   */
  async #pass(loaded: () => void): Promise<string> {
    const info = await this.#namespace.runHistoryInfo();
    if (info === null) throw new Error("the run history does not exist");
    return await this.#namespace.watchRuns(info.created, {
      each: (entry) => {
        try {
          this.#record(decodeRunRecord(entry.value));
        } catch { /* not a run record */ }
      },
      read: () => {
        this.#loaded = true;
        loaded();
      },
      retrying: (error, delay) =>
        this.#log.warn("following the run history failed; trying again", {
          error: error.message,
          delay,
        }),
    }, this.#stopping.signal);
  }

  #record(run: RunRecord): void {
    const runs = this.#last.get(run.key) ?? new Map<number, RunRecord>();
    runs.set(run.index, run);
    this.#last.set(run.key, runs);
    for (const listener of this.#listeners) listener(run);
  }
}
