/**
 * The publisher node: fires every job of a namespace into its job queue.
 *
 * Every node publishes every tick it computes, with a `Nats-Msg-Id` made of namespace,
 * key, job index and scheduled time; the stream's duplicate window keeps one copy. All
 * nodes compute the same ticks from the same stored definition, so there is no leader and
 * nothing to coordinate.
 *
 * The acknowledgements sort the nodes out without a protocol: a node told that another
 * stored a job's tick first goes on standby for that job and sends its next ticks
 * `standbyDelay` later, as a backup that the stream drops; if it ever stores one itself,
 * the active node is gone and it sends on time again. So each job has one node sending on
 * time, the bursts split across the nodes, and the duplicates arrive after the burst.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/nats-core";
import type { KvWatchEntry } from "@nats-io/kv";
import { type Ack, StreamSender } from "../nats/stream_sender.ts";
import { decodeDefinition, decodeTick, tickEncoder } from "../wire/mod.ts";
import { backoff } from "../_util.ts";
import { NODE_DEFAULTS } from "../defaults.ts";
import { ScheduleError } from "../errors.ts";
import { MinHeap } from "./heap.ts";
import { createLogger, type Logger } from "../ops/log.ts";
import { Namespace, type NamespaceOptions } from "../nats/namespace.ts";
import type { Spec } from "../spec/spec.ts";
import { SpecCache } from "../spec/cache.ts";
import { countTicks, firstTickAfter } from "../spec/ticks.ts";
import type { Definition } from "../types.ts";

/**
 * Options of {@link Node.start}.
 *
 * @example
 * ```ts
 * import type { NodeOptions } from "@x/schedule";
 * const options: NodeOptions = { namespace: "beta", catchup: 60_000 };
 * ```
 */
export interface NodeOptions {
  /** The namespace whose schedules this node fires. */
  namespace: string;
  /**
   * How late a tick may still be published, in ms (default 60 s). Older ticks are skipped,
   * logged and counted. Never more than the job stream's duplicate window.
   */
  catchup?: number;
  /**
   * How much later a node sends the ticks of a job whose last tick another node stored
   * first, in ms (default 500; at most half of `catchup`).
   */
  standbyDelay?: number;
  /** How long one publish waits for its acknowledgement, in ms (default 5 s). */
  publishTimeout?: number;
  /** How the job stream is created if it is missing. */
  queue?: NamespaceOptions;
  /** Where events are logged (default: JSON lines on standard error). */
  logger?: Logger;
  /** Called with the lag (ack time minus scheduled time, ms) of each tick this node stored. */
  onStored?: (lagMs: number) => void;
}

/**
 * Counters of a publisher node since it started.
 *
 * @example
 * ```ts
 * import type { NodeMetrics } from "@x/schedule";
 * const lost = (m: NodeMetrics) => m.missed;
 * ```
 */
export interface NodeMetrics {
  /** Keys with at least one job firing. */
  definitions: number;
  /** Jobs firing. */
  jobs: number;
  /** Ticks this node stored in the queue first. */
  published: number;
  /** Ticks another node had already stored (a normal outcome with several nodes). */
  duplicates: number;
  /** Ticks skipped because they could not be published within `catchup`. */
  missed: number;
  /** Failed publish attempts (each retried until the tick is older than `catchup`). */
  publishErrors: number;
  /** Stored definitions that were not valid and are not fired. */
  rejected: number;
}

/** The most missed ticks counted one by one for one job at one time. */
const MISSED_COUNT_LIMIT = 1000;
/** The longest a timer is set for; a later tick is re-checked then. */
const MAX_TIMER = 3_600_000;

/** One job of one key, queued at its next tick. */
interface Scheduled {
  readonly key: string;
  readonly index: number;
  readonly spec: Spec;
  readonly anchor: number;
  /** The subject of this job's ticks. */
  readonly subject: string;
  /** Encodes one tick of this job. */
  readonly encode: (scheduledAt: Date) => Uint8Array;
  /** The scheduled time of the job's next tick. */
  due: number;
  /** When this node sends it: `due`, or `due + standbyDelay` while on standby. */
  sendAt: number;
  /** Another node stored this job's last tick first: send later, as its backup. */
  standby: boolean;
  live: boolean;
}

/**
 * A publisher node. Start it with {@link Node.start}; stop it with
 * {@link Node.stop} before draining the connection.
 *
 * @example
 * ```ts ignore
 * import { connect } from "@nats-io/transport-node";
 * import { Node } from "@x/schedule";
 *
 * const nc = await connect({ servers: "127.0.0.1:4222", maxReconnectAttempts: -1 });
 * const node = await Node.start(nc, { namespace: "beta" });
 * await node.ready;
 * // ... later
 * await node.stop();
 * await nc.drain();
 * ```
 */
export class Node {
  /** Counters since start. */
  readonly metrics: NodeMetrics = {
    definitions: 0,
    jobs: 0,
    published: 0,
    duplicates: 0,
    missed: 0,
    publishErrors: 0,
    rejected: 0,
  };
  /** Resolves once every stored definition has been loaded. */
  readonly ready: Promise<void>;

  readonly #handles: Namespace;
  readonly #log: Logger;
  readonly #catchup: number;
  readonly #standbyDelay: number;
  readonly #sender: StreamSender;
  readonly #onStored: ((lagMs: number) => void) | undefined;
  #lastTick: number | null = null;
  readonly #specs = new SpecCache();
  readonly #compile = this.#specs.get.bind(this.#specs);
  readonly #byKey = new Map<string, Scheduled[]>();
  readonly #queue = new MinHeap<Scheduled>((item) => item.sendAt);
  /** Jobs fired and not yet queued at their next tick. */
  #fired: Scheduled[] = [];
  #requeueTimer: ReturnType<typeof setTimeout> | undefined;
  #inflight = 0;
  #drained: (() => void) | undefined;
  #dead = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerDue = Infinity;
  #stopping = false;
  #watcher: { stop(): void } | undefined;
  #watching: Promise<void> | undefined;

  private constructor(
    nc: NatsConnection,
    handles: Namespace,
    options: NodeOptions,
  ) {
    this.#handles = handles;
    this.#log = options.logger ?? createLogger({ debug: false });
    this.#onStored = options.onStored;
    this.#sender = new StreamSender(
      nc,
      handles.names.jobStream,
      options.publishTimeout ?? NODE_DEFAULTS.publishTimeout,
    );
    const window = handles.jobStream.config.duplicate_window / 1e6;
    const catchup = options.catchup ?? NODE_DEFAULTS.catchup;
    if (catchup > window) {
      this.#log.warn(
        "catchup is longer than the job stream's duplicate window; using the window",
        {
          catchup,
          duplicateWindow: window,
        },
      );
    }
    this.#catchup = Math.min(catchup, window);
    this.#standbyDelay = Math.min(
      options.standbyDelay ?? NODE_DEFAULTS.standbyDelay,
      this.#catchup / 2,
    );
    let loaded!: () => void;
    let failed!: (err: Error) => void;
    this.ready = new Promise((resolve, reject) =>
      [loaded, failed] = [resolve, reject]
    );
    this.#watching = this.#watch(loaded).catch((err) => {
      this.#log.error("watching definitions failed", { error: err.message });
      failed(err);
    });
  }

  /**
   * Opens the namespace (creating its bucket and stream if missing), loads every
   * definition and starts firing. Await {@link ready} to know the load is complete.
   *
   * @throws {InvalidNamespaceError} When the namespace is not valid.
   *
   * @example
   * ```ts ignore
   * const node = await Node.start(nc, { namespace: "beta" });
   * ```
   */
  static async start(
    nc: NatsConnection,
    options: NodeOptions,
  ): Promise<Node> {
    const handles = await Namespace.open(nc, options.namespace, options.queue);
    return new Node(nc, handles, options);
  }

  /** The scheduled time of the latest tick this node got acknowledged, or `null`. */
  get lastTick(): Date | null {
    return this.#lastTick === null ? null : new Date(this.#lastTick);
  }

  /** The catch-up window in force, in ms. */
  get catchup(): number {
    return this.#catchup;
  }

  /**
   * Stops firing: no new tick is started, publishes under way finish or give up, and the
   * watch ends. The connection is the caller's to drain.
   *
   * @example
   * ```ts ignore
   * await node.stop();
   * ```
   */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#requeueTimer);
    this.#watcher?.stop();
    await this.#watching;
    if (this.#inflight > 0) {
      await new Promise<void>((resolve) => this.#drained = resolve);
    }
    this.#sender.close();
  }

  async #watch(loaded: () => void): Promise<void> {
    const { kv } = this.#handles;
    let lastPublished: Map<string, number> | undefined = await this
      .#lastPublished();
    const done = () => {
      lastPublished = undefined;
      this.#log.info("definitions loaded", {
        definitions: this.metrics.definitions,
        jobs: this.metrics.jobs,
        rejected: this.metrics.rejected,
      });
      loaded();
    };
    const watcher = await kv.watch();
    this.#watcher = watcher;
    if (this.#stopping) watcher.stop();
    if ((await kv.status()).values === 0) done();
    for await (const entry of watcher) {
      this.#apply(entry, lastPublished);
      if (lastPublished && entry.delta === 0) done();
    }
  }

  /**
   * The scheduled time of the last tick in the queue for each job subject, read once at
   * start with one pass over the stream's last message per subject.
   */
  async #lastPublished(): Promise<Map<string, number>> {
    const { names } = this.#handles;
    const last = new Map<string, number>();
    const ticks = this.#handles.read(
      names.jobStream,
      names.jobSubjects,
      (bytes, subject) => ({ subject, tick: decodeTick(bytes) }),
      true,
    );
    for await (const { subject, tick } of ticks) {
      last.set(subject, tick.scheduledAt.getTime());
    }
    return last;
  }

  /** Applies one stored definition (or its deletion) to the timer queue. */
  #apply(
    entry: KvWatchEntry,
    lastPublished: Map<string, number> | undefined,
  ): void {
    const { key } = entry;
    this.#unschedule(key);
    if (entry.operation !== "PUT") {
      this.#log.info("definition removed", { key, revision: entry.revision });
      return;
    }
    let decoded;
    try {
      decoded = decodeDefinition(entry.value, this.#compile);
    } catch (err) {
      if (!(err instanceof ScheduleError)) throw err;
      this.metrics.rejected++;
      this.#log.warn("definition rejected", {
        key,
        revision: entry.revision,
        error: err.message,
      });
      return;
    }
    const { definition, specs } = decoded;
    if (definition.paused) {
      this.#log.info("definition paused", { key, revision: entry.revision });
      return;
    }
    const definedAt = entry.created.getTime();
    const now = Date.now();
    const floor = now - this.#catchup;
    const scheduled: Scheduled[] = [];
    definition.jobs.forEach((job, index) => {
      const spec = specs[index];
      const subject = this.#handles.names.jobSubject(key, index);
      const last = lastPublished?.get(subject);
      if (lastPublished) {
        this.#countMissedWhileDown(
          key,
          index,
          spec,
          definition,
          definedAt,
          floor,
          last,
        );
      }
      const due = firstTickAfter(
        spec,
        definition,
        definedAt,
        Math.max(floor, last ?? -Infinity),
      );
      if (due === null) return;
      const encode = tickEncoder({
        ...job,
        namespace: this.#handles.names.namespace,
        key,
        index,
      });
      const item: Scheduled = {
        key,
        index,
        spec,
        anchor: definition.anchor.getTime(),
        subject,
        encode,
        due,
        sendAt: due,
        standby: false,
        live: true,
      };
      scheduled.push(item);
      this.#queue.push(item);
    });
    this.#byKey.set(key, scheduled);
    this.metrics.definitions++;
    this.metrics.jobs += scheduled.length;
    this.#log.info("definition loaded", {
      key,
      revision: entry.revision,
      jobs: definition.jobs.length,
      specs: definition.jobs.map((job) => job.spec),
    });
    this.#arm();
  }

  /**
   * At start, counts the ticks older than `catchup` that no node published: those after
   * the last tick in the queue, or after the definition when the queue would still hold
   * a tick of it.
   */
  #countMissedWhileDown(
    key: string,
    index: number,
    spec: Spec,
    definition: Definition,
    definedAt: number,
    floor: number,
    last: number | undefined,
  ): void {
    const maxAge = this.#handles.jobStream.config.max_age / 1e6;
    const since = last ??
      (maxAge === 0 || definedAt > Date.now() - maxAge ? definedAt : null);
    if (since === null || since >= floor) return;
    const count = countTicks(
      spec,
      definition,
      Math.max(since, definedAt),
      floor,
      MISSED_COUNT_LIMIT,
    );
    if (count === 0) return;
    this.metrics.missed += count;
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
    for (const item of old) item.live = false;
    this.#dead += old.length;
    this.metrics.definitions--;
    this.metrics.jobs -= old.length;
  }

  /** Sets the one timer for the earliest due tick. */
  #arm(): void {
    if (this.#stopping) return;
    const top = this.#queue.peek();
    if (!top || top.sendAt >= this.#timerDue) return;
    clearTimeout(this.#timer);
    this.#timerDue = top.sendAt;
    const delay = Math.min(MAX_TIMER, Math.max(0, this.#timerDue - Date.now()));
    this.#timer = setTimeout(this.#fire, delay);
  }

  /**
   * Sends every due tick, then re-arms. Queuing each job's next tick (computing and
   * encoding it) waits for the next turn of the event loop, after the sends are flushed.
   */
  #fire = (): void => {
    this.#timerDue = Infinity;
    const now = Date.now();
    for (
      let top = this.#queue.peek();
      top && top.sendAt <= now;
      top = this.#queue.peek()
    ) {
      this.#queue.pop();
      if (!top.live) {
        this.#dead--;
        continue;
      }
      if (top.standby && top.sendAt === top.due) {
        // It went on standby after this tick was queued: send it as a backup.
        top.sendAt = top.due + this.#standbyDelay;
        this.#queue.push(top);
        continue;
      }
      if (top.due < now - this.#catchup) {
        this.#miss(top, top.due, "the node fell behind");
      } else this.#publish(top, top.due, 1);
      this.#fired.push(top);
    }
    this.#requeueTimer ??= setTimeout(this.#requeue, 0);
    this.#arm();
  };

  /** Queues each fired job at its next tick. */
  #requeue = (): void => {
    this.#requeueTimer = undefined;
    const fired = this.#fired;
    this.#fired = [];
    for (const item of fired) {
      if (!item.live) {
        this.#dead--;
        continue;
      }
      const due = item.spec.next(item.due, item.anchor);
      if (due === null) {
        item.live = false;
        continue;
      }
      item.due = due;
      item.sendAt = item.standby ? due + this.#standbyDelay : due;
      this.#queue.push(item);
    }
    this.#compact();
    this.#arm();
  };

  /** Rebuilds the queue when more of it is replaced definitions than live ones. */
  #compact(): void {
    if (this.#dead <= this.#queue.size / 2) return;
    const live: Scheduled[] = [];
    for (let item = this.#queue.pop(); item; item = this.#queue.pop()) {
      if (item.live) live.push(item);
    }
    for (const item of live) this.#queue.push(item);
    this.#dead = 0;
  }

  /**
   * Publishes one tick; a failed attempt is retried with backoff until the tick is older
   * than `catchup`, then counted as missed.
   */
  #publish(item: Scheduled, scheduledAt: number, attempt: number): void {
    this.#inflight++;
    this.#sender.publish(
      item.subject,
      item.encode(new Date(scheduledAt)),
      this.#handles.names.tickId(item.key, item.index, scheduledAt),
    ).then(
      (ack) => this.#stored(item, scheduledAt, ack),
      (err: Error) => this.#failed(item, scheduledAt, attempt, err),
    );
  }

  #stored(item: Scheduled, scheduledAt: number, ack: Ack): void {
    item.standby = ack.duplicate;
    if (ack.duplicate) this.metrics.duplicates++;
    else {
      this.metrics.published++;
      this.#onStored?.(Date.now() - scheduledAt);
    }
    this.#lastTick = Math.max(this.#lastTick ?? scheduledAt, scheduledAt);
    this.#settled();
  }

  #failed(
    item: Scheduled,
    scheduledAt: number,
    attempt: number,
    err: Error,
  ): void {
    this.metrics.publishErrors++;
    const delay = backoff(attempt, 100, 2000);
    if (this.#stopping || Date.now() + delay - scheduledAt > this.#catchup) {
      this.#miss(
        item,
        scheduledAt,
        this.#stopping ? "the node is stopping" : err.message,
      );
    } else {
      this.#log.debug("publish failed; retrying", {
        key: item.key,
        index: item.index,
        error: err.message,
      });
      this.#inflight++;
      setTimeout(() => {
        this.#publish(item, scheduledAt, attempt + 1);
        this.#settled();
      }, delay);
    }
    this.#settled();
  }

  #settled(): void {
    if (--this.#inflight === 0) this.#drained?.();
  }

  #miss(item: Scheduled, scheduledAt: number, reason: string): void {
    this.metrics.missed++;
    this.#log.warn("tick missed", {
      key: item.key,
      index: item.index,
      scheduledAt: new Date(scheduledAt).toISOString(),
      reason,
    });
  }
}
