/**
 * The node's view of the definitions bucket: each stored definition, as it changes, is
 * loaded into the timer queue, replaced, paused, removed or rejected. A bucket deleted or
 * recreated under the node is noticed and reloaded.
 *
 * @module
 */

import type { KvWatchEntry } from "@nats-io/kv";
import { backoff } from "../_util.ts";
import { ScheduleError } from "../errors.ts";
import type { Namespace } from "../nats/namespace.ts";
import type { Logger } from "../ops/log.ts";
import { SpecCache } from "../spec/cache.ts";
import { firstTickAfter } from "../spec/ticks.ts";
import type { Definition } from "../types.ts";
import {
  type CompiledDefinition,
  decodeDefinition,
  definedRevision,
  tickEncoder,
} from "../wire/mod.ts";
import { CatchUp, MISSED_COUNT_LIMIT } from "./catch_up.ts";
import type { TimerQueue } from "./timer_queue.ts";
import type { NodeMetrics, Scheduled } from "./types.ts";

/** How often the bucket's stream is checked for a deletion or a recreation, in ms. */
export const BUCKET_CHECK = 3000;

/** What a {@link DefinitionWatch} needs. */
export interface DefinitionWatchOptions {
  namespace: Namespace;
  /** Where the jobs of the definitions are queued. */
  queue: TimerQueue<Scheduled>;
  /** The node's counters, updated in place. */
  metrics: NodeMetrics;
  log: Logger;
  /** How late a tick may still be published, in ms. */
  catchup: number;
}

/** One definition being loaded. */
interface Loading {
  key: string;
  definition: Definition;
  specs: CompiledDefinition["specs"];
  definedAt: number;
  /** The definition's revision, carried by its ticks (`definedRevision`). */
  revision: number;
  now: number;
  /** The oldest tick still published. */
  floor: number;
}

/**
 * Watches the definitions bucket from its start and keeps the timer queue in step with
 * it. At start, each job resumes after its last tick in the queue (within `catchup`) and
 * the ticks no node published while down are logged and counted.
 *
 * The KV watch does not notice its bucket deleted or recreated (it goes on from its old
 * sequence), so every {@link BUCKET_CHECK} ms the bucket's stream is read: when it is
 * gone, was created again or its sequence went back, or when the watch ends or fails,
 * every definition is dropped, the bucket is created if missing, and all is loaded again
 * as at start; this is logged and counted (`bucketReloads`).
 *
 * @example
 * ```ts ignore
 * const watch = new DefinitionWatch({ namespace, queue, metrics, log, catchup: 60_000 });
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
  readonly #catchup: number;
  readonly #specs = new SpecCache();
  readonly #compile = this.#specs.get.bind(this.#specs);
  readonly #byKey = new Map<string, Scheduled[]>();
  /** The queue's last ticks, while the stored definitions are being loaded. */
  #catchUp: CatchUp | undefined;
  #watcher: { stop(): void } | undefined;
  readonly #watching: Promise<void>;
  #loaded = false;
  #stopping = false;

  constructor(options: DefinitionWatchOptions) {
    this.#namespace = options.namespace;
    this.#queue = options.queue;
    this.#metrics = options.metrics;
    this.#log = options.log;
    this.#catchup = options.catchup;
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.loaded = promise;
    this.#watching = this.#run(resolve).catch((err) => {
      this.#log.error("watching definitions failed", { error: err.message });
      reject(err);
    });
  }

  /** Ends the watch. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#watcher?.stop();
    await this.#watching;
  }

  /** Watches the bucket, and again from the start each time it changes under the node. */
  async #run(loaded: () => void): Promise<void> {
    for (let failures = 0; !this.#stopping;) {
      let reason: string;
      try {
        reason = await this.#watch(loaded);
        failures = 0;
      } catch (err) {
        if (!this.#loaded) throw err;
        reason = `the watch failed: ${(err as Error).message}`;
        failures++;
      }
      if (this.#stopping) return;
      this.#metrics.bucketReloads++;
      this.#log.warn("reloading the definitions", {
        reason,
        dropped: this.#byKey.size,
      });
      for (const key of [...this.#byKey.keys()]) this.#unschedule(key);
      if (failures > 0) await sleep(backoff(failures, 1000, 30_000));
    }
  }

  /**
   * Loads the bucket and follows it until it changes under the node; returns why the
   * watch ended (nothing when stopping).
   */
  async #watch(loaded: () => void): Promise<string> {
    const namespace = this.#namespace;
    let info = await namespace.bucketInfo();
    if (info === null) {
      await namespace.provisionBucket();
      this.#log.warn("the definitions bucket was missing; created it");
      info = (await namespace.bucketInfo())!;
    }
    const { kv } = namespace;
    this.#catchUp = await CatchUp.read(namespace);
    const done = () => {
      this.#catchUp = undefined;
      this.#loaded = true;
      const { definitions, jobs, rejected } = this.#metrics;
      this.#log.info("definitions loaded", { definitions, jobs, rejected });
      loaded();
    };
    const watcher = await kv.watch();
    this.#watcher = watcher;
    let revision = 0;
    let changed = "the watch ended";
    const check = setInterval(async () => {
      const reason = await this.#changed(info.created, revision);
      if (reason === null) return;
      changed = reason;
      watcher.stop();
    }, BUCKET_CHECK);
    try {
      if (this.#stopping) watcher.stop();
      if ((await kv.status()).values === 0) done();
      for await (const entry of watcher) {
        revision = entry.revision;
        this.#apply(entry);
        if (this.#catchUp && entry.delta === 0) done();
      }
    } finally {
      clearInterval(check);
    }
    return changed;
  }

  /**
   * Why the bucket found at `created` is no longer the one watched up to `revision`, or
   * `null` when it still is (or cannot be read now).
   */
  async #changed(created: string, revision: number): Promise<string | null> {
    let info;
    try {
      info = await this.#namespace.bucketInfo();
    } catch {
      return null; // unreachable for now: checked again later
    }
    if (info === null) return "the definitions bucket was deleted";
    if (info.created !== created) return "the definitions bucket was recreated";
    if (info.state.last_seq < revision) {
      return "the definitions bucket's sequence went back";
    }
    return null;
  }

  /** Applies one stored definition (or its deletion) to the timer queue. */
  #apply(entry: KvWatchEntry): void {
    const { key, revision } = entry;
    this.#unschedule(key);
    if (entry.operation !== "PUT") {
      // While the stored definitions load, a deletion is old news: a debug line.
      this.#log[this.#catchUp ? "debug" : "info"]("definition removed", {
        key,
        revision,
      });
      return;
    }
    const decoded = this.#decode(entry);
    if (decoded === null) return;
    if (decoded.definition.paused) {
      this.#log.info("definition paused", { key, revision });
      return;
    }
    const now = Date.now();
    this.#load(revision, {
      key,
      ...decoded,
      definedAt: entry.created.getTime(),
      revision: definedRevision(decoded.definition, revision),
      now,
      floor: now - this.#catchup,
    });
  }

  /** The definition and its compiled specs, or `null` when it is rejected. */
  #decode(entry: KvWatchEntry): CompiledDefinition | null {
    try {
      return decodeDefinition(entry.value, this.#compile);
    } catch (err) {
      if (!(err instanceof ScheduleError)) throw err;
      this.#metrics.rejected++;
      this.#log.warn("definition rejected", {
        key: entry.key,
        revision: entry.revision,
        error: err.message,
      });
      return null;
    }
  }

  /** Queues the jobs of a definition at their first tick. */
  #load(revision: number, loading: Loading): void {
    const { key, definition } = loading;
    const scheduled: Scheduled[] = [];
    for (let index = 0; index < definition.jobs.length; index++) {
      const item = this.#schedule(loading, index);
      if (item) scheduled.push(item);
    }
    this.#queue.add(scheduled);
    this.#byKey.set(key, scheduled);
    this.#metrics.definitions++;
    this.#metrics.jobs += scheduled.length;
    this.#log.info("definition loaded", {
      key,
      revision,
      jobs: definition.jobs.length,
      specs: definition.jobs.map((job) => job.spec),
    });
  }

  /** One job at its first tick, or `null` when it has none. */
  #schedule(loading: Loading, index: number): Scheduled | null {
    const { key, definition, definedAt, floor, revision } = loading;
    const spec = loading.specs[index];
    const subject = this.#namespace.names.jobSubject(key, index);
    const last = this.#catchUp?.last(subject);
    this.#countMissed(loading, index, last);
    const after = Math.max(floor, last ?? -Infinity);
    const due = firstTickAfter(spec, definition, definedAt, after);
    if (due === null) return null;
    const namespace = this.#namespace.names.namespace;
    return {
      key,
      index,
      spec,
      anchor: definition.anchor.getTime(),
      subject,
      encode: tickEncoder({
        ...definition.jobs[index],
        namespace,
        key,
        index,
        revision,
      }),
      due,
      sendAt: due,
      standby: false,
      live: true,
    };
  }

  /** At start, logs and counts the ticks of a job that no node published. */
  #countMissed(
    loading: Loading,
    index: number,
    last: number | undefined,
  ): void {
    const { key, definition, definedAt, floor, now } = loading;
    const spec = loading.specs[index];
    const missed = this.#catchUp?.missed({
      spec,
      definition,
      definedAt,
      last,
      floor,
      now,
    });
    if (!missed) return;
    const { count, since } = missed;
    this.#metrics.missed += count;
    this.#log.warn("ticks missed", {
      key,
      index,
      count: count === MISSED_COUNT_LIMIT ? `${count}+` : count,
      after: new Date(since).toISOString(),
      before: new Date(floor).toISOString(),
      reason: "no node published them within catchup",
    });
  }

  #unschedule(key: string): void {
    const old = this.#byKey.get(key);
    if (!old) return;
    this.#byKey.delete(key);
    for (const item of old) this.#queue.remove(item);
    this.#metrics.definitions--;
    this.#metrics.jobs -= old.length;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
