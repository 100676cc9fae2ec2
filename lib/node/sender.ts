/**
 * Sending the node's ticks: one publish per tick with retries, the standby rule, and the
 * counting of what was stored, duplicated and missed.
 *
 * @module
 */

import type { Ack, StreamSender } from "../nats/stream_sender.ts";
import type { NamespaceNames } from "../nats/names.ts";
import type { Logger } from "../ops/log.ts";
import { backoff } from "../_util.ts";
import { type Clock, realClock } from "./clock.ts";
import type { NodeMetrics, Scheduled } from "./types.ts";

/** What a {@link Sender} needs. */
export interface SenderOptions {
  /** Publishes to the job stream; the sender closes it when it stops. */
  stream: Pick<StreamSender, "publish" | "close">;
  /** The namespace's names, for the ticks' message ids. */
  names: NamespaceNames;
  /** How late a tick may still be published, in ms. */
  catchup: number;
  /** The node's counters, updated in place. */
  metrics: NodeMetrics;
  log: Logger;
  /** Called with the lag (ack time minus scheduled time, ms) of each tick stored. */
  onStored?: (lagMs: number) => void;
  /** The time source (default: the real clock). */
  clock?: Clock;
}

/**
 * Publishes each tick of a job. A failed attempt is retried with backoff until the tick is
 * older than `catchup`, then counted as missed. An acknowledgement saying another node
 * stored the tick first puts the job on standby; storing one takes it off.
 *
 * @example
 * ```ts ignore
 * const sender = new Sender({ stream, names, catchup: 60_000, metrics, log });
 * sender.send(job, Date.now());
 * await sender.stop();
 * ```
 */
export class Sender {
  readonly #stream: Pick<StreamSender, "publish" | "close">;
  readonly #names: NamespaceNames;
  readonly #catchup: number;
  readonly #metrics: NodeMetrics;
  readonly #log: Logger;
  readonly #onStored: ((lagMs: number) => void) | undefined;
  readonly #clock: Clock;
  /** Whether a debug line is written per tick stored: checked once, off the hot path. */
  readonly #debug: boolean;
  #lastTick: number | null = null;
  #inflight = 0;
  #drained: (() => void) | undefined;
  #stopping = false;

  constructor(options: SenderOptions) {
    this.#stream = options.stream;
    this.#names = options.names;
    this.#catchup = options.catchup;
    this.#metrics = options.metrics;
    this.#log = options.log;
    this.#onStored = options.onStored;
    this.#clock = options.clock ?? realClock;
    this.#debug = options.log.debugEnabled ?? true;
  }

  /** The scheduled time of the latest tick acknowledged, in epoch ms, or `null`. */
  get lastTick(): number | null {
    return this.#lastTick;
  }

  /**
   * Sends the tick of `item` scheduled at `item.due`, or counts it as missed when it is
   * already older than `catchup` at `now`.
   */
  send(item: Scheduled, now: number): void {
    if (item.due < now - this.#catchup) {
      this.#miss(item, item.due, "the node fell behind");
    } else this.#publish(item, item.due, 1);
  }

  /**
   * Stops retrying (a failed publish is then missed), waits for the publishes under way
   * and closes the stream sender.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#inflight > 0) {
      await new Promise<void>((resolve) => this.#drained = resolve);
    }
    this.#stream.close();
  }

  #publish(item: Scheduled, scheduledAt: number, attempt: number): void {
    this.#inflight++;
    this.#stream.publish(
      item.subject,
      item.encode(new Date(scheduledAt)),
      this.#names.tickId(item.key, item.index, scheduledAt),
    ).then(
      (ack) => this.#stored(item, scheduledAt, ack),
      (err: Error) => this.#failed(item, scheduledAt, attempt, err),
    );
  }

  #stored(item: Scheduled, scheduledAt: number, ack: Ack): void {
    item.standby = ack.duplicate;
    if (ack.duplicate) this.#metrics.duplicates++;
    else {
      this.#metrics.published++;
      const lag = this.#clock.now() - scheduledAt;
      this.#onStored?.(lag);
      if (this.#debug) {
        this.#log.debug("tick published", {
          key: item.key,
          index: item.index,
          scheduledAt: new Date(scheduledAt).toISOString(),
          lag,
        });
      }
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
    this.#metrics.publishErrors++;
    const delay = backoff(attempt, 100, 2000);
    if (
      this.#stopping ||
      this.#clock.now() + delay - scheduledAt > this.#catchup
    ) {
      const reason = this.#stopping ? "the node is stopping" : err.message;
      this.#miss(item, scheduledAt, reason);
    } else {
      this.#log.debug("publish failed; retrying", {
        key: item.key,
        index: item.index,
        error: err.message,
      });
      this.#inflight++;
      this.#clock.setTimeout(() => {
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
    this.#metrics.missed++;
    this.#log.warn("tick missed", {
      key: item.key,
      index: item.index,
      scheduledAt: new Date(scheduledAt).toISOString(),
      reason,
    });
  }
}
