/**
 * The node's view of the definitions bucket: each stored definition, as it changes, is
 * loaded into the timer queue, replaced, paused, removed or rejected. A bucket deleted or
 * recreated under the node is noticed and reloaded.
 *
 * @module
 */

import { ScheduleError } from "../errors.ts";
import type { BucketEntry } from "../nats/bucket_read.ts";
import type { Namespace } from "../nats/namespace.ts";
import type { Logger } from "../ops/log.ts";
import { SpecCache } from "../spec/cache.ts";
import type { ScheduleEvent } from "../types.ts";
import {
  type CompiledDefinition,
  decodeDefinition,
  definedRevision,
} from "../wire/mod.ts";
import { firstRunAfter, nextTick } from "../spec/ticks.ts";
import { followAgain } from "../nats/stream_follow.ts";
import { openBucket } from "./open_bucket.ts";
import type { LastTick } from "./catch_up.ts";
import { InitialLoad } from "./initial_load.ts";
import { KeyMap } from "./key_map.ts";
import type { JobRules } from "./rule.ts";
import { firstJob, type Loading, scheduleJob } from "./schedule_job.ts";
import type { Settled } from "./settled.ts";
import type { TimerQueue } from "./timer_queue.ts";
import type { NodeMetrics, Scheduled } from "./types.ts";

/** How far a node has applied the definitions bucket. */
export interface Applied {
  /** When the bucket watched was created (from its stream info), or `""` before. */
  bucket: string;
  /** The bucket revision of the last entry applied (0 before any). */
  revision: number;
}

/** What a {@link DefinitionWatch} needs. */
export interface DefinitionWatchOptions {
  namespace: Namespace;
  /** Where the jobs of the definitions are queued. */
  queue: TimerQueue<Scheduled>;
  /** The node's counters, updated in place. */
  metrics: NodeMetrics;
  log: Logger;
  /**
   * The server's time, in epoch ms (the node's `ServerClock`): where a definition's ticks
   * start, and which of them are late, go by it, as their firing does.
   */
  now: () => number;
  /** The rule of each job's policy (its window, catch-up, jitter and bounds). */
  rules: JobRules;
  /** Gives up late ticks a job's catch-up policy does not send (see `Sender.skip`). */
  skip: (item: Scheduled, first: number, last: number, reason: string) => void;
  /** Gives up ticks that came due too long ago to send (see `Sender.miss`). */
  miss: (item: Scheduled, first: number, last: number, reason: string) => void;
  /** Publishes an event: a `missed` one for the ticks no node published while down. */
  onEvent: (event: ScheduleEvent) => void;
  /**
   * Reads the nodes' record of the ticks they settled (see `settled.ts`); without it, or
   * when it fails, the last tick of every job is read from the job stream.
   */
  settled?: () => Promise<Settled | null>;
  /** Reads the last tick of one job (needed with `settled`). */
  lastTick?: LastTick;
}

/**
 * Watches the definitions bucket from its start and keeps the timer queue in step with
 * it. At start, each job resumes after its last tick in the queue, within its window and
 * as its catch-up policy says (`all` late ticks, the `latest`, `none`), and the ticks no
 * node published while down are logged, counted and reported.
 *
 * A consumer does not notice its bucket deleted, recreated or purged (it goes on from its old
 * sequence), so every 3 s (`STREAM_CHECK`) the bucket's stream is read: when it is
 * gone, was created again, its sequence went back or it holds fewer messages than the
 * node holds definitions (purged), or when the follow fails,
 * every definition is dropped, the bucket is created if missing, and all is loaded again
 * as at start; this is logged and counted (`bucketReloads`).
 *
 * @example
 * ```ts ignore
 * const watch = new DefinitionWatch({ namespace, queue, metrics, log, now, rules, skip, onEvent });
 * await watch.loaded;
 * await watch.stop();
 * ```
 */
export class DefinitionWatch {
  /** Resolves once every stored definition has been loaded; rejects if the watch fails. */
  readonly loaded: Promise<void>;
  readonly #namespace: Namespace;
  readonly #queue: TimerQueue<Scheduled>;
  readonly #metrics: NodeMetrics;
  readonly #log: Logger;
  /** The rules, the skipping of late ticks, and where the ticks missed are reported. */
  readonly #options: DefinitionWatchOptions;
  readonly #specs = new SpecCache();
  readonly #compile = this.#specs.get.bind(this.#specs);
  /**
   * The jobs of each key: the job itself for a definition of one job (most of them), else
   * an array. A million arrays of one held 56 MB.
   */
  readonly #byKey = new KeyMap(keyOfJobs);
  /** The keys of the definitions loaded with no job queued (their ticks are over). */
  readonly #withoutJobs = new Set<string>();
  /**
   * The revision of each key whose definition was rejected, in the bucket created at
   * `#rejectedIn`: a reload reads it again, and counts it once.
   */
  readonly #rejected = new Map<string, number>();
  #rejectedIn = "";
  readonly #debug: boolean;
  /** The load of the stored definitions under way, if any. */
  #initial: InitialLoad | undefined;
  /**
   * The bucket's last revision when the load began. The read gives the last entry of each
   * key once: one at or before this revision is of a key that has nothing queued to
   * replace (a look-up saved per key: about 1 s at a million).
   */
  #firstDelivery = 0;
  #applied: Applied = { bucket: "", revision: 0 };
  readonly #watching: Promise<void>;
  #loaded = false;
  readonly #stopping = new AbortController();

  constructor(options: DefinitionWatchOptions) {
    this.#namespace = options.namespace;
    this.#queue = options.queue;
    this.#metrics = options.metrics;
    this.#log = options.log;
    this.#options = options;
    this.#debug = options.log.debugEnabled ?? true;
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.loaded = promise;
    this.#watching = this.#run(resolve).catch((err) => {
      this.#log.error("watching definitions failed", { error: err.message });
      reject(err);
    });
  }

  /** How far the bucket is applied: every job of a definition stored by then is queued. */
  get applied(): Applied {
    return this.#applied;
  }

  /**
   * True while the definitions are read: at start, and again from a reload until every
   * stored definition is loaded (the node holds none of them meanwhile).
   */
  get loading(): boolean {
    return this.#applied.bucket === "";
  }

  /** Ends the watch. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#watching;
  }

  /** Watches the bucket, and again from the start each time it changes under the node. */
  async #run(loaded: () => void): Promise<void> {
    await followAgain(() => this.#watch(loaded), {
      loaded: () => this.#loaded,
      signal: this.#stopping.signal,
      reload: (reason) => {
        this.#applied = { bucket: "", revision: 0 };
        this.#metrics.bucketReloads++;
        this.#log.warn("reloading the definitions", {
          reason,
          dropped: this.#byKey.size + this.#withoutJobs.size,
        });
        const keys = [...this.#byKey.keys(), ...this.#withoutJobs];
        for (const key of keys) this.#unschedule(key);
      },
    });
  }

  /**
   * Loads the bucket and follows it until it changes under the node; returns why the
   * watch ended (nothing when stopping). The stored definitions are read in one pass,
   * then followed from the next revision (`Namespace.watchDefinitions`).
   */
  async #watch(loaded: () => void): Promise<string> {
    const namespace = this.#namespace;
    const info = await openBucket(namespace, this.#log);
    const bucket = info.created;
    this.#firstDelivery = info.state.last_seq;
    if (bucket !== this.#rejectedIn) {
      this.#rejected.clear();
      this.#rejectedIn = bucket;
    }
    this.#initial = await InitialLoad.open({
      ...this.#options,
      bucket,
      signal: this.#stopping.signal,
    });
    const applied = this.#applied = { bucket: "", revision: 0 };
    // The load looks up a spec per job: held strongly until it is done.
    const release = this.#specs.hold();
    try {
      return await namespace.watchDefinitions(bucket, {
        each: (entry) => {
          this.#apply(entry);
          applied.revision = entry.revision;
        },
        read: async () => {
          await this.#done(loaded, release);
          applied.bucket = bucket;
        },
        log: this.#log,
        held: () => this.#byKey.size + this.#withoutJobs.size,
      }, this.#stopping.signal);
    } finally {
      release();
    }
  }

  /**
   * Every stored definition is read: loads those held back, queues all their jobs at once
   * (one heap build) and says so, and where their last ticks came from.
   */
  async #done(loaded: () => void, release: () => void): Promise<void> {
    const initial = this.#initial!;
    const queued = await initial.finish((r, l) => this.#load(r, l));
    release();
    this.#queue.add(queued);
    this.#initial = undefined;
    this.#loaded = true;
    const { definitions, jobs, rejected } = this.#metrics;
    this.#log.info("definitions loaded", {
      definitions,
      jobs,
      rejected,
      lastTicks: initial.catchUp.source,
    });
    loaded();
  }

  /** Applies one stored definition (or its deletion) to the timer queue. */
  #apply(entry: BucketEntry): void {
    const { key, revision } = entry;
    if (revision > this.#firstDelivery) this.#unschedule(key);
    if (entry.operation !== "PUT") {
      this.#rejected.delete(key);
      // While the stored definitions load, a deletion is old news: a debug line.
      this.#log[this.#initial ? "debug" : "info"]("definition removed", {
        key,
        revision,
      });
      return;
    }
    const decoded = decodeOrReject(entry, this.#compile, this.#log);
    if (decoded === null) {
      this.#countRejected(key, revision);
      return;
    }
    if (decoded.definition.paused) {
      this.#log.info("definition paused", { key, revision });
      return;
    }
    this.#load(revision, {
      key,
      ...decoded,
      definedAt: entry.created,
      revision: definedRevision(decoded.definition, revision),
      bucketRevision: revision,
      now: this.#options.now(),
    });
  }

  /**
   * Queues the jobs of a definition at their first tick, or holds it back until their
   * last ticks are read.
   */
  #load(revision: number, loading: Loading): void {
    const { key, definition } = loading;
    if (this.#initial?.hold(revision, loading, this.#options.rules)) return;
    const scheduled: Scheduled[] = [];
    for (let index = 0; index < definition.jobs.length; index++) {
      const item = this.#schedule(loading, index);
      if (item) scheduled.push(item);
    }
    if (this.#initial) this.#initial.add(scheduled);
    else this.#queue.add(scheduled);
    // A copy holds its items and no more: an array pushed to has room for 17 (150 MB
    // for a million keys).
    if (scheduled.length === 0) this.#withoutJobs.add(key);
    else {
      this.#byKey.set(
        scheduled.length === 1 ? scheduled[0] : scheduled.slice(),
      );
    }
    this.#metrics.definitions++;
    this.#metrics.jobs += scheduled.length;
    // While the stored definitions load, one line per definition is a debug line (a
    // million of them took seconds); the load ends with one info line of counts.
    if (!this.#initial || this.#debug) {
      this.#log[this.#initial ? "debug" : "info"]("definition loaded", {
        key,
        revision,
        jobs: definition.jobs.length,
        specs: definition.jobs.map((job) => job.spec),
      });
    }
  }

  /**
   * One job at its first tick to send, or `null` when it has none. Ticks whose send time
   * is older than the job's window are missed (counted when no node published them).
   */
  #schedule(loading: Loading, index: number): Scheduled | null {
    const { key, definition, now } = loading;
    const rule = this.#options.rules.of(
      definition.jobs[index].policy,
      key,
      index,
    );
    // Even with the most jitter, a tick at or before this is sent too late.
    const floor = now - rule.window - rule.jitter;
    const after = this.#initial?.resume(loading, index, rule, floor) ?? floor;
    const { names } = this.#namespace;
    const { skip, miss } = this.#options;
    const place = { names, rule, after, skip, miss };
    const item = scheduleJob(loading, index, place);
    if (!this.#initial) {
      // A job with no tick left to send (all due too long ago) has them given up too.
      const job = item ?? firstJob(loading, index, place);
      if (job) this.#missLate(loading, job, floor);
    }
    return item;
  }

  /**
   * Gives up as missed the ticks of a definition applied later than its window (the
   * watch delivered it late: a node blocked, or disconnected when it was written) that
   * came due before `floor`, within its bounds (its `end`, its `maxRuns`); those another
   * node stored are left out. At a load, the catch-up counts them (see
   * `InitialLoad.resume`).
   */
  #missLate(loading: Loading, item: Scheduled, floor: number): void {
    const { definition, definedAt } = loading;
    const { spec, anchor, rule: { bounds } } = item;
    const first = firstRunAfter(spec, definition, definedAt, definedAt, bounds);
    if (first === null || first.at > floor) return;
    let last = first.at;
    for (
      let run = first.run, at = nextTick(spec, anchor, last, run, bounds);
      at !== null && at <= floor;
      at = nextTick(spec, anchor, at, ++run, bounds)
    ) last = at;
    this.#options.miss(item, first.at, last, "the definition was applied late");
  }

  /** Counts a rejected definition (`rejected`) once, however often a reload reads it. */
  #countRejected(key: string, revision: number): void {
    if (this.#rejected.get(key) === revision) return;
    this.#rejected.set(key, revision);
    this.#metrics.rejected++;
  }

  #unschedule(key: string): void {
    this.#initial?.drop(key);
    const held = this.#byKey.delete(key);
    if (held === undefined && !this.#withoutJobs.delete(key)) return;
    const old = held === undefined ? [] : Array.isArray(held) ? held : [held];
    for (const item of old) this.#queue.remove(item);
    this.#metrics.definitions--;
    this.#metrics.jobs -= old.length;
  }
}

/**
 * The definition in `entry` and its compiled specs, or `null` when it is not valid: then
 * it is logged, and nothing else changes.
 */
function decodeOrReject(
  entry: BucketEntry,
  compile: Parameters<typeof decodeDefinition>[1],
  log: Logger,
): CompiledDefinition | null {
  try {
    return decodeDefinition(entry.value, compile);
  } catch (err) {
    if (!(err instanceof ScheduleError)) throw err;
    log.warn("definition rejected", {
      key: entry.key,
      revision: entry.revision,
      error: err.message,
    });
    return null;
  }
}

/** The key of the jobs of a key: one, or an array of two or more. */
function keyOfJobs(jobs: Scheduled | readonly Scheduled[]): string {
  return Array.isArray(jobs) ? jobs[0].key : (jobs as Scheduled).key;
}
