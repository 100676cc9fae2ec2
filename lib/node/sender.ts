/**
 * Sending the node's ticks: one publish per tick with retries, holding them while NATS is
 * unreachable, and the counting of what was stored, duplicated and missed.
 *
 * @module
 */

import {
  type Ack,
  DisconnectedError,
  NoAnswerError,
  NoStreamError,
  type Outcome,
  type StreamSender,
} from "../nats/stream_sender.ts";
import type { NamespaceNames } from "../nats/names.ts";
import type { Logger } from "../ops/log.ts";
import type { ScheduleEvent } from "../types.ts";
import { backoff } from "../_util.ts";
import { type Clock, realClock } from "./clock.ts";
import { GivenUpTicks, type GiveUp } from "./given_up.ts";
import { HeldTicks } from "./held.ts";
import { fireTime } from "./rule.ts";
import type { TickRange } from "./stored_ticks.ts";
import type { NodeMetrics, PreparedTick, Scheduled } from "./types.ts";

/** The stream's answer to a copy of a message it has yet to commit (no quorum). */
const IN_PROCESS = /duplicate message id is in process/i;

export { CHECK_DELAY, type GiveUpKind } from "./given_up.ts";

/** What a {@link Sender} needs. */
export interface SenderOptions {
  /** Publishes to the job stream and follows the connection; the sender closes it. */
  stream: Pick<
    StreamSender,
    "encode" | "send" | "close" | "connected" | "onReconnect"
  >;
  /** The namespace's names, for the ticks' message ids. */
  names: NamespaceNames;
  /** The node's counters, updated in place. */
  metrics: NodeMetrics;
  log: Logger;
  /** Called with the lag (ack time minus scheduled time, ms) of each tick stored. */
  onStored?: (lagMs: number) => void;
  /**
   * For each range of ticks given up, the scheduled times of those the job stream holds
   * all the same (another node stored them); those are not missed.
   */
  stored: (ranges: readonly TickRange[]) => Promise<Set<number>[]>;
  /** The time source (default: the real clock). */
  clock?: Clock;
  /** Publishes an event: a `missed` one for each run of ticks counted missed or skipped. */
  onEvent?: (event: ScheduleEvent) => void;
  /** Called when a publish found no job stream (it was deleted): see `StreamRestore`. */
  noStream?: () => void;
}

/**
 * Publishes each tick of a job. A failed attempt is retried with backoff until the tick is
 * older than its job's window (`rule.window`, counted from its send time `firesAt`). While
 * the connection is down nothing is published: the ticks are held, and when it is back
 * those the job's catch-up policy sends (all, the latest, none) go at once, oldest first,
 * but for those then older than the window. A tick given up on counts as missed (or
 * skipped, by the policy) unless the job stream holds it (another node stored it).
 * {@link Sender.pendingFrom} tells how far every tick sent is settled.
 *
 * @example
 * ```ts ignore
 * const stored = (ranges) => storedTicks(namespace, ranges);
 * const sender = new Sender({ stream, names, metrics, log, stored });
 * sender.send(job, Date.now());
 * await sender.stop();
 * ```
 */
export class Sender {
  readonly #stream: SenderOptions["stream"];
  readonly #names: NamespaceNames;
  readonly #metrics: NodeMetrics;
  readonly #log: Logger;
  readonly #onStored: ((lagMs: number) => void) | undefined;
  readonly #noStream: (() => void) | undefined;
  readonly #clock: Clock;
  readonly #held: HeldTicks;
  /** The backup sends held back until the stream is checked for their tick. */
  readonly #givenUp: GivenUpTicks;
  readonly #giveUp: GiveUp;
  /** Whether a debug line is written per tick stored: checked once, off the hot path. */
  readonly #debug: boolean;
  #lastTick: number | null = null;
  /** Publishes in flight or waiting to be retried, by their ticks' send time. */
  readonly #pending = new Map<number, number>();
  #drained: (() => void) | undefined;
  #stopping = false;
  /** What each {@link Publishing} calls back: made once, not per publish. */
  readonly #ends: PublishEnds = {
    stored: (publishing, ack) =>
      this.#stored(publishing.item, publishing.tick, ack),
    failed: (publishing, err) =>
      this.#failed(publishing.item, publishing.tick, publishing.attempt, err),
  };

  constructor(options: SenderOptions) {
    this.#stream = options.stream;
    this.#names = options.names;
    this.#metrics = options.metrics;
    this.#log = options.log;
    this.#onStored = options.onStored;
    this.#noStream = options.noStream;
    this.#clock = options.clock ?? realClock;
    this.#givenUp = new GivenUpTicks({ ...options, clock: this.#clock });
    this.#giveUp = this.#givenUp.giveUp.bind(this.#givenUp);
    this.#held = new HeldTicks(this.#names, this.#giveUp);
    this.#stream.onReconnect(() => this.#release());
    this.#debug = options.log.debugEnabled ?? true;
  }

  /** The scheduled time of the latest tick acknowledged, in epoch ms, or `null`. */
  get lastTick(): number | null {
    return this.#lastTick;
  }

  /**
   * The earliest send time of a tick still in flight, waiting to be retried or held;
   * `Infinity` when there is none.
   */
  get pendingFrom(): number {
    if (this.#held.size > 0) return -Infinity;
    let earliest = Infinity;
    for (const at of this.#pending.keys()) earliest = Math.min(earliest, at);
    return earliest;
  }

  /**
   * The earliest time of a tick not yet settled (stored, or given up and counted):
   * {@link pendingFrom}, or the earliest tick given up that waits for its check. (While
   * any waited, none was: ticks given up every 2 s or more often kept the nodes' record
   * from being written.)
   */
  get settledFrom(): number {
    return Math.min(this.#givenUp.from, this.pendingFrom);
  }

  /**
   * Encodes the tick of `item` at `item.due` ahead of its send time, so that sending it
   * is one publish: at the top of a second every microsecond spent per tick delays the
   * last one sent.
   */
  prepare(item: Scheduled): void {
    item.prepared = this.#encode(item, item.due);
  }

  /**
   * Sends the tick of `item` scheduled at `item.due`, holds it while disconnected, or
   * gives it up when its send time is already older than its window at `now`.
   */
  send(item: Scheduled, now: number): void {
    if (item.firesAt < now - item.rule.window) {
      this.#giveUp(item, item.due, item.due, "missed", "the node fell behind");
      return;
    }
    this.#sendOrHold(item, item.due);
  }

  /**
   * Gives up the ticks of `item` in [`first`, `last`] that its catch-up policy does not
   * send: counted as skipped unless the job stream holds them.
   */
  skip(item: Scheduled, first: number, last: number, reason: string): void {
    this.#giveUp(item, first, last, "skipped", reason);
  }

  /**
   * Gives up the ticks of `item` in [`first`, `last`] that came due too long ago to send:
   * counted as missed unless the job stream holds them.
   */
  miss(item: Scheduled, first: number, last: number, reason: string): void {
    this.#giveUp(item, first, last, "missed", reason);
  }

  /**
   * Stops retrying (a failed publish is then given up, as are the ticks held), waits for
   * the publishes under way and the checks of the ticks given up, and closes the stream
   * sender.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#givenUp.stop();
    this.#held.drop("the node stopped while disconnected");
    this.#givenUp.hurry();
    if (this.#pending.size > 0) {
      await new Promise<void>((resolve) => this.#drained = resolve);
    }
    await this.#givenUp.checked();
    this.#stream.close();
  }

  #sendOrHold(item: Scheduled, scheduledAt: number): void {
    if (this.#stream.connected) {
      this.#publish(item, this.#tick(item, scheduledAt), 1);
      return;
    }
    this.#held.hold(item, scheduledAt);
  }

  /**
   * The connection is back: gives up the ticks held that are now older than their window
   * (missed) or that their job's catch-up policy does not send (skipped: all but the
   * latest, or all), and sends the others, oldest first (so each job's in scheduled order).
   */
  #release(): void {
    const due = this.#held.release(this.#clock.now());
    if (due.length > 0) {
      this.#log.info("reconnected; sending the ticks held", {
        ticks: due.length,
        oldest: new Date(due[0].at).toISOString(),
      });
    }
    for (const { item, at } of due) {
      this.#publish(item, this.#tick(item, at), 1);
    }
  }

  /** The tick of `item` at `scheduledAt`: the one prepared, or encoded now. */
  #tick(item: Scheduled, scheduledAt: number): PreparedTick {
    const prepared = item.prepared;
    item.prepared = undefined;
    return prepared?.at === scheduledAt
      ? prepared
      : this.#encode(item, scheduledAt);
  }

  #encode(item: Scheduled, scheduledAt: number): PreparedTick {
    const firesAt = fireTime(this.#names, item, scheduledAt);
    const message = this.#stream.encode(
      item.subject,
      item.tick(
        new Date(scheduledAt),
        firesAt === scheduledAt ? undefined : new Date(firesAt),
      ),
      this.#names.tickId(item.key, item.index, scheduledAt),
    );
    return { at: scheduledAt, firesAt, ...message };
  }

  #publish(item: Scheduled, tick: PreparedTick, attempt: number): void {
    this.#begin(tick.firesAt);
    this.#stream.send(tick, new Publishing(item, tick, attempt, this.#ends));
  }

  #stored(item: Scheduled, tick: PreparedTick, ack: Ack): void {
    const { at: scheduledAt, firesAt } = tick;
    this.#givenUp.answered();
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
    this.#end(firesAt);
  }

  #failed(
    item: Scheduled,
    tick: PreparedTick,
    attempt: number,
    err: Error,
  ): void {
    const { at: scheduledAt, firesAt } = tick;
    const disconnected = err instanceof DisconnectedError;
    if (disconnected && !this.#stopping) {
      this.#sendOrHold(item, scheduledAt);
      this.#end(firesAt);
      return;
    }
    // A failed attempt; a lost connection is none (the tick is held, or given up below).
    if (!disconnected) this.#metrics.publishErrors++;
    if (err instanceof NoStreamError) this.#noStream?.();
    const delay = backoff(attempt, 100, 2000);
    if (
      this.#stopping ||
      this.#clock.now() + delay - firesAt > item.rule.window
    ) {
      const reason = this.#stopping ? "the node is stopping" : err.message;
      // Sent, and no answer: the stream may store it yet (see `CHECK_WITHIN`).
      const unanswered = disconnected || err instanceof NoAnswerError ||
        IN_PROCESS.test(err.message);
      this.#giveUp(
        item,
        scheduledAt,
        scheduledAt,
        "missed",
        reason,
        unanswered,
      );
      this.#end(firesAt);
      return;
    }
    this.#log.debug("publish failed; retrying", {
      key: item.key,
      index: item.index,
      error: err.message,
    });
    // Still pending while it waits: its retry begins before this attempt ends. It is
    // encoded anew: a message is sent once under its call number.
    this.#clock.setTimeout(() => {
      this.#publish(item, this.#encode(item, scheduledAt), attempt + 1);
      this.#end(firesAt);
    }, delay);
  }

  /** A publish of a tick sent at `firesAt` begins. */
  #begin(firesAt: number): void {
    this.#pending.set(firesAt, (this.#pending.get(firesAt) ?? 0) + 1);
  }

  /** A publish of a tick sent at `firesAt` ended (or its retry began). */
  #end(firesAt: number): void {
    const left = this.#pending.get(firesAt)! - 1;
    if (left === 0) this.#pending.delete(firesAt);
    else this.#pending.set(firesAt, left);
    if (this.#pending.size === 0) this.#drained?.();
  }
}

/** What a {@link Sender} does when one of its publishes ends. */
interface PublishEnds {
  stored(publishing: Publishing, ack: Ack): void;
  failed(publishing: Publishing, err: Error): void;
}

/** One attempt at publishing a tick: one object per publish, no closures. */
class Publishing implements Outcome<Ack> {
  constructor(
    readonly item: Scheduled,
    readonly tick: PreparedTick,
    readonly attempt: number,
    readonly ends: PublishEnds,
  ) {}

  answered(ack: Ack): void {
    this.ends.stored(this, ack);
  }

  failed(err: Error): void {
    this.ends.failed(this, err);
  }
}
