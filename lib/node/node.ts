/**
 * The node: fires every job of a namespace into its job queue.
 *
 * Every node computes every tick from the same stored definitions, and the ticks carry a
 * `Nats-Msg-Id` made of namespace, key, job index and scheduled time, so the stream's
 * duplicate window keeps one copy whoever sends it. The nodes share the sending without
 * a leader (see {@link Peers}): each key has one owner among the nodes that hear each
 * other, chosen alike by all of them, which sends its ticks on time; the others are its
 * backups, and `standbyDelay` later each one reads the owner's last report and sends only
 * what it does not show stored. So the server hears each tick about once, each node sends
 * its share, and a node that dies loses nothing: its ticks go `standbyDelay` late until
 * the others stop counting it, then on time again.
 *
 * Ticks are fired by the NATS server's clock, never by the node's own: a tick is sent
 * once the earliest the server's time can be has reached it (see {@link ServerClock}).
 * A node whose own clock is off by more than `maxClockOffset` stands by for every job.
 *
 * A job's policy governs its ticks alike on every node: `start`, `end` and `maxRuns` are
 * in the tick rule (`lib/spec/ticks.ts`), `jitter` delays each tick by an offset derived
 * from its message id, and `catchup` with `catchupWindow` decide which late ticks are
 * sent. The node publishes `node-joined` and `node-left` events, and a `missed` one for
 * each run of ticks of a job it gave up.
 *
 * Every few seconds, and as it stops, a node records how far it has settled the ticks
 * (see {@link SettledRecord}); a node starting goes by that record and reads the last
 * tick only of the jobs that may have one after it.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/nats-core";
import { NODE_DEFAULTS } from "../defaults.ts";
import { publishEvent } from "../nats/events.ts";
import { Namespace } from "../nats/namespace.ts";
import type { NamespaceNames } from "../nats/names.ts";
import { type ClockReading, ServerClock } from "../nats/server_clock.ts";
import { StreamSender } from "../nats/stream_sender.ts";
import { createLogger, type Logger } from "../ops/log.ts";
import type { ScheduleEvent } from "../types.ts";
import {
  catchupWindow,
  nodeName,
  standbyDelayOf,
  zeroNodeMetrics,
} from "./_util.ts";
import { lastTickThrough } from "./catch_up.ts";
import { Peers } from "./peers.ts";
import { advance, JobRules } from "./rule.ts";
import { Sender } from "./sender.ts";
import { type Settled, SettledRecord } from "./settled.ts";
import { storedTicks } from "./stored_ticks.ts";
import { StreamRestore } from "./stream_restore.ts";
import { TimerQueue } from "./timer_queue.ts";
import type { NodeMetrics, NodeOptions, Scheduled } from "./types.ts";
import { DefinitionWatch } from "./watch.ts";

export type { NodeMetrics, NodeOptions } from "./types.ts";

/**
 * How long before a send time the node's timer is set, in ms: timers fire up to about
 * 2 ms late (or early), and the rest is waited out exactly (see `TimerQueue`).
 */
export const EARLY = 3;

/**
 * A node. Start it with {@link Node.start}; stop it with {@link Node.stop} before
 * draining the connection.
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
  readonly metrics: NodeMetrics = zeroNodeMetrics();
  /** Resolves once every stored definition has been loaded. */
  readonly ready: Promise<void>;
  /** The node's name, in its events. */
  readonly name: string;
  readonly #clock: ServerClock;
  readonly #event: (event: Omit<ScheduleEvent, "by">) => void;

  readonly #catchup: number;
  readonly #sender: Sender;
  readonly #queue: TimerQueue<Scheduled>;
  readonly #watch: DefinitionWatch;
  readonly #peers: Peers;
  readonly #settled: SettledRecord;
  #loaded = false;
  #stopping = false;

  private constructor(
    nc: NatsConnection,
    namespace: Namespace,
    options: NodeOptions,
    clock: ServerClock,
    log: Logger,
  ) {
    const { names } = namespace;
    this.#clock = clock;
    this.name = nodeName(options);
    this.#event = (event) =>
      publishEvent(nc, names, { ...event, by: this.name });
    const catchup = this.#catchup = catchupWindow(namespace, options, log);
    const standbyDelay = standbyDelayOf(options, catchup);
    const stream = new StreamSender(
      nc,
      names.jobStream,
      options.publishTimeout ?? NODE_DEFAULTS.publishTimeout,
    );
    this.#sender = this.#newSender(stream, namespace, options, log);
    this.#queue = this.#newQueue(names, standbyDelay, clock);
    this.#settled = new SettledRecord({
      namespace,
      // Disconnected, a write would only wait out its timeout (also the last, at a stop).
      settled: () => stream.connected ? this.#settledNow() : null,
      log,
    });
    this.#watch = this.#newWatch(namespace, stream, log);
    this.ready = this.#watch.loaded.then(() => {
      this.#loaded = true;
      this.#settled.start();
    });
    this.#peers = this.#newPeers(nc, names.nodeSubject, log);
    this.#event({ type: "node-joined", at: new Date(clock.now()) });
  }

  /** The timer queue: sends the ticks this node owns, and backs up the others. */
  #newQueue(
    names: NamespaceNames,
    standbyDelay: number,
    clock: ServerClock,
  ): TimerQueue<Scheduled> {
    return new TimerQueue<Scheduled>({
      standbyDelay,
      send: (item, now) => this.#sender.send(item, now),
      advance: (item) => advance(names, item),
      clock,
      early: EARLY,
      owns: (item) => this.#peers.owns(item),
      prepare: (item) => this.#sender.prepare(item),
      pendingFrom: () => this.#sender.pendingFrom,
      onSlices: () => this.#peers.report(),
      backup: (item, now) => {
        const verdict = this.#peers.verdict(item, now);
        if (verdict === "skip") this.metrics.covered++;
        return verdict;
      },
    });
  }

  /** The sender of the node's ticks, through `stream`. */
  #newSender(
    stream: StreamSender,
    namespace: Namespace,
    options: NodeOptions,
    log: Logger,
  ): Sender {
    const restore = new StreamRestore(namespace, log, this.metrics);
    return new Sender({
      stream,
      names: namespace.names,
      metrics: this.metrics,
      log,
      onStored: options.onStored,
      stored: (ranges) => storedTicks(namespace, ranges),
      clock: this.#clock,
      onEvent: this.#event,
      noStream: () => restore.missing(),
    });
  }

  /** The other nodes, and which of them owns which tick. */
  #newPeers(nc: NatsConnection, subject: string, log: Logger): Peers {
    const clock = this.#clock;
    return new Peers({
      nc,
      subject,
      name: this.name,
      clock,
      isMember: () => this.#loaded && !this.#stopping && !clock.skewed,
      progress: () => {
        const { sentThrough: sent, firing } = this.#queue;
        const stored = Math.min(sent, this.#sender.pendingFrom - 1);
        const { published, duplicates } = this.metrics;
        return { sent, stored, firing, acked: published + duplicates };
      },
      applied: () => this.#watch.applied,
      onChange: () => this.#queue.reassign(),
      log,
    });
  }

  /** The watch of the definitions, queueing their jobs. */
  #newWatch(
    namespace: Namespace,
    stream: StreamSender,
    log: Logger,
  ): DefinitionWatch {
    return new DefinitionWatch({
      namespace,
      queue: this.#queue,
      metrics: this.metrics,
      log,
      now: () => this.#clock.now(),
      rules: new JobRules(
        this.#catchup,
        namespace.jobStream.config.duplicate_window / 1e6,
        log,
      ),
      skip: (item, first, last, reason) =>
        this.#sender.skip(item, first, last, reason),
      miss: (item, first, last, reason) =>
        this.#sender.miss(item, first, last, reason),
      onEvent: this.#event,
      settled: () => this.#settled.read(),
      lastTick: lastTickThrough(stream, namespace.names),
    });
  }

  /**
   * How far this node has settled the ticks, once it has loaded the definitions and while
   * its clock is right: `null` while ticks are held or given up ones wait for their check.
   */
  #settledNow(): Settled | null {
    const { bucket, revision } = this.#watch.applied;
    const through = Math.min(
      this.#queue.settledThrough,
      this.#sender.settledFrom - 1,
    );
    if (
      !this.#loaded || this.#clock.skewed || bucket === "" ||
      !Number.isFinite(through)
    ) return null;
    return { through, bucket, revision, node: this.name };
  }

  /**
   * True while the node reads the definitions: at start, and again while it reloads them
   * (the bucket deleted, recreated or purged under it), when it fires none of them.
   */
  get loading(): boolean {
    return this.#watch.loading;
  }

  /** The server's clock, which fires the ticks. */
  get clock(): ClockReading {
    return this.#clock;
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
  static async start(nc: NatsConnection, options: NodeOptions): Promise<Node> {
    const namespace = await Namespace.open(
      nc,
      options.namespace,
      options.queue,
    );
    const log = options.logger ?? createLogger();
    const clock = await ServerClock.start({
      probe: () => namespace.serverTime(),
      maxOffset: options.maxClockOffset,
      interval: NODE_DEFAULTS.clockInterval,
      log,
    });
    return new Node(nc, namespace, options, clock, log);
  }

  /** The scheduled time of the latest tick this node got acknowledged, or `null`. */
  get lastTick(): Date | null {
    const last = this.#sender.lastTick;
    return last === null ? null : new Date(last);
  }

  /**
   * The member ids of the nodes this node shares the ticks with, itself included once it
   * has loaded the definitions (a member id is the node's name and a random suffix).
   */
  get members(): string[] {
    return this.#peers.members;
  }

  /** The catch-up window in force, in ms. */
  get catchup(): number {
    return this.#catchup;
  }

  /**
   * Stops firing: no new tick is started, publishes under way finish or give up, and the
   * watch ends; then the `node-left` event is published. The connection is the caller's
   * to drain.
   *
   * @example
   * ```ts ignore
   * await node.stop();
   * ```
   */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#peers.stop();
    this.#stopping = true;
    this.#queue.stop();
    await Promise.all([this.#watch.stop(), this.#sender.stop()]);
    await this.#settled.stop();
    this.#clock.stop();
    this.#event({ type: "node-left", at: new Date(this.#clock.now()) });
  }
}
