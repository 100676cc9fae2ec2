/**
 * The node's view of the definitions bucket: each stored definition, as it changes, is
 * loaded into the timer queue, replaced, paused, removed or rejected.
 *
 * @module
 */

import type { KvWatchEntry } from "@nats-io/kv";
import { ScheduleError } from "../errors.ts";
import type { Namespace } from "../nats/namespace.ts";
import type { Logger } from "../ops/log.ts";
import { SpecCache } from "../spec/cache.ts";
import { firstTickAfter } from "../spec/ticks.ts";
import type { Definition } from "../types.ts";
import {
  type CompiledDefinition,
  decodeDefinition,
  tickEncoder,
} from "../wire/mod.ts";
import { CatchUp, MISSED_COUNT_LIMIT } from "./catch_up.ts";
import type { TimerQueue } from "./timer_queue.ts";
import type { NodeMetrics, Scheduled } from "./types.ts";

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
  now: number;
  /** The oldest tick still published. */
  floor: number;
}

/**
 * Watches the definitions bucket from its start and keeps the timer queue in step with
 * it. At start, each job resumes after its last tick in the queue (within `catchup`) and
 * the ticks no node published while down are logged and counted.
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
  #stopping = false;

  constructor(options: DefinitionWatchOptions) {
    this.#namespace = options.namespace;
    this.#queue = options.queue;
    this.#metrics = options.metrics;
    this.#log = options.log;
    this.#catchup = options.catchup;
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.loaded = promise;
    this.#watching = this.#watch(resolve).catch((err) => {
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

  async #watch(loaded: () => void): Promise<void> {
    const { kv } = this.#namespace;
    this.#catchUp = await CatchUp.read(this.#namespace);
    const done = () => {
      this.#catchUp = undefined;
      const { definitions, jobs, rejected } = this.#metrics;
      this.#log.info("definitions loaded", { definitions, jobs, rejected });
      loaded();
    };
    const watcher = await kv.watch();
    this.#watcher = watcher;
    if (this.#stopping) watcher.stop();
    if ((await kv.status()).values === 0) done();
    for await (const entry of watcher) {
      this.#apply(entry);
      if (this.#catchUp && entry.delta === 0) done();
    }
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
    const { key, definition, definedAt, floor } = loading;
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
      encode: tickEncoder({ ...definition.jobs[index], namespace, key, index }),
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
