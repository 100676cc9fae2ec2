/**
 * A node's load of the stored definitions, at start and at each reload: the last tick of
 * each job, found with the nodes' record or by reading the job queue, the definitions held
 * back until their jobs' last ticks are read, and the jobs queued at once at the end.
 *
 * @module
 */

import type { Namespace } from "../nats/namespace.ts";
import type { Logger } from "../ops/log.ts";
import {
  CatchUp,
  countMissed,
  lastSpecTickIn,
  type LastTick,
  type MissedReport,
} from "./catch_up.ts";
import type { JobRule, JobRules } from "./rule.ts";
import type { Loading } from "./schedule_job.ts";
import type { Settled } from "./settled.ts";
import type { Scheduled } from "./types.ts";

/** What an {@link InitialLoad} needs; the ticks missed are reported as `MissedReport` says. */
export interface InitialLoadOptions extends MissedReport {
  namespace: Namespace;
  /** When the definitions bucket was created: the nodes' record must be of it. */
  bucket: string;
  log: Logger;
  /**
   * The server's time, in epoch ms (a `ServerClock`'s `now`): what the ticks of a
   * definition are late by, as they are fired by it.
   */
  now: () => number;
  /** Reads the nodes' record (see `settled.ts`); without it, the queue is read. */
  settled?: () => Promise<Settled | null>;
  /** Reads the last tick of one job (needed with `settled`). */
  lastTick?: LastTick;
  /** Aborted when the node stops: a failed read then ends the load, not reads the queue. */
  signal?: AbortSignal;
}

/**
 * The stored definitions being loaded. With the nodes' record, a definition whose jobs
 * may have a tick after it is held back ({@link hold}) until {@link finish} has read those
 * jobs' last ticks; if a read fails, the whole job queue is read instead.
 *
 * @example
 * ```ts ignore
 * const initial = await InitialLoad.open({ namespace, bucket, log, now, settled, lastTick });
 * if (!initial.hold(revision, loading, rules)) initial.add(jobsOf(loading));
 * queue.add(await initial.finish((revision, loading) => load(revision, loading)));
 * ```
 */
export class InitialLoad {
  /** The last tick of each job. */
  catchUp: CatchUp;
  readonly #options: InitialLoadOptions;
  /** The definitions held back, by key, with their entries' revisions. */
  readonly #held = new Map<string, [number, Loading]>();
  /** The jobs to queue at once at the end: one heap build. */
  #jobs: Scheduled[] = [];

  private constructor(catchUp: CatchUp, options: InitialLoadOptions) {
    this.catchUp = catchUp;
    this.#options = options;
  }

  /** Starts a load: from the nodes' record when one fits (see `CatchUp.open`). */
  static async open(options: InitialLoadOptions): Promise<InitialLoad> {
    const { namespace, bucket, log } = options;
    let settled: Settled | null = null;
    try {
      settled = await options.settled?.() ?? null;
    } catch (err) {
      log.warn("cannot read how far the ticks are settled", {
        error: (err as Error).message,
      });
    }
    const catchUp = await CatchUp.open(
      namespace,
      bucket,
      settled,
      options.now(),
    );
    return new InitialLoad(catchUp, options);
  }

  /** Holds back `loading` when its jobs' last ticks are to be read first. */
  hold(revision: number, loading: Loading, rules: JobRules): boolean {
    if (!this.catchUp.defers(loading, rules)) return false;
    this.#held.set(loading.key, [revision, loading]);
    return true;
  }

  /** Drops what is held back of `key` (it changed or was removed). */
  drop(key: string): void {
    this.#held.delete(key);
  }

  /**
   * Where job `index` of `loading` resumes: after its last tick, but not at or before
   * `floor` (its rule's window); the ticks before that no node published are counted
   * missed (see `countMissed`).
   */
  resume(
    loading: Loading,
    index: number,
    rule: JobRule,
    floor: number,
  ): number {
    const { key, bucketRevision, specs, definition, definedAt, now } = loading;
    const { catchUp } = this;
    const last = catchUp.last(key, index, bucketRevision, rule.jitter);
    const { bounds } = rule;
    // The fields it reads, not a copy of `loading` and more: one object per job of a
    // million, of one shape.
    const spec = specs[index];
    const job = {
      key,
      index,
      spec,
      definition,
      definedAt,
      bounds,
      last,
      floor,
      now,
    };
    countMissed(catchUp, job, this.#options);
    return Math.max(floor, last ?? -Infinity);
  }

  /** Adds jobs to queue at the end. */
  add(jobs: readonly Scheduled[]): void {
    for (const job of jobs) this.#jobs.push(job);
  }

  /**
   * Reads the last ticks of the jobs held back, passes each definition held back to
   * `load` (which adds its jobs), and returns every job to queue.
   */
  async finish(
    load: (revision: number, loading: Loading) => void,
  ): Promise<Scheduled[]> {
    const held = [...this.#held.values()];
    this.#held.clear();
    if (held.length > 0) {
      await this.#readLast(held.map(([, loading]) => loading));
      const now = this.#options.now();
      for (const [revision, loading] of held) {
        load(revision, { ...loading, now });
      }
    }
    const jobs = this.#jobs;
    this.#jobs = [];
    return jobs;
  }

  async #readLast(held: readonly Loading[]): Promise<void> {
    const { namespace, log, lastTick } = this.#options;
    const jobs = held.flatMap(({ key, definition }) =>
      definition.jobs.map((_, index) => ({ key, index }))
    );
    try {
      await this.catchUp.readLast(
        jobs,
        lastTick!,
        lastSpecTickIn(namespace),
      );
      log.info("last ticks read", { jobs: jobs.length });
    } catch (err) {
      // Stopping closed the connection's sender under the reads: nothing to read for.
      if (this.#options.signal?.aborted) throw err;
      log.warn("reading last ticks failed; reading the whole job queue", {
        error: (err as Error).message,
      });
      this.catchUp = await CatchUp.read(namespace);
    }
  }
}
