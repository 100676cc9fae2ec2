/**
 * The node's timer queue: jobs ordered by the time they are sent, under one timer.
 *
 * @module
 */

import { type Clock, realClock, type Timer } from "./clock.ts";
import { MinHeap } from "./heap.ts";

/** The longest a timer is set for; a later tick is re-checked then. */
export const MAX_TIMER = 3_600_000;

/** What the queue reads and writes of a queued job. */
export interface Queued {
  /** The scheduled time of the job's next tick. */
  due: number;
  /** When it fires: `due` plus the job's jitter. */
  firesAt: number;
  /** When this node sends it: `firesAt`, or `firesAt + standbyDelay` while on standby. */
  sendAt: number;
  /** Another node stored this job's last tick first: send later, as its backup. */
  standby: boolean;
  /** False once the job is removed or has no next tick. */
  live: boolean;
}

/** How a {@link TimerQueue} sends its jobs and finds their next tick. */
export interface TimerQueueOptions<T extends Queued> {
  /** How much later a job on standby is sent, in ms. */
  standbyDelay: number;
  /** Sends the tick of `item` scheduled at `item.due`; `now` is when the timer fired. */
  send: (item: T, now: number) => void;
  /** Moves `item` to its next tick (`due`, `firesAt`); `false` when the job has no more. */
  advance: (item: T) => boolean;
  /** The time source (default: the real clock). */
  clock?: Clock;
  /**
   * While this says so, every job is on standby, sent `standbyDelay` late: the node's
   * clock is off and the other nodes keep the schedule (default: never).
   */
  standby?: () => boolean;
}

/**
 * Jobs by send time with one timer, set for the earliest. When it fires, every due job is
 * sent; queuing each one at its next tick waits for the next turn of the event loop,
 * after the sends are flushed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TimerQueue } from "./timer_queue.ts";
 *
 * const sent: number[] = [];
 * const queue = new TimerQueue({
 *   standbyDelay: 500,
 *   send: (item) => sent.push(item.due),
 *   advance: () => false, // a job with a single tick
 * });
 * const now = Date.now();
 * queue.add([{ due: now, firesAt: now, sendAt: now, standby: false, live: true }]);
 * await new Promise((resolve) => setTimeout(resolve, 10));
 * queue.stop();
 * assert.deepEqual(sent, [now]);
 * ```
 */
export class TimerQueue<T extends Queued> {
  readonly #heap = new MinHeap<T>((item) => item.sendAt);
  readonly #standbyDelay: number;
  readonly #send: (item: T, now: number) => void;
  readonly #advance: (item: T) => boolean;
  readonly #clock: Clock;
  readonly #standby: () => boolean;
  /** Jobs sent and not yet queued at their next tick. */
  #fired: T[] = [];
  /** Removed jobs still in the heap or in `#fired`. */
  #dead = 0;
  #timer: Timer | undefined;
  #timerDue = Infinity;
  #requeueTimer: Timer | undefined;
  #stopped = false;

  constructor(options: TimerQueueOptions<T>) {
    this.#standbyDelay = options.standbyDelay;
    this.#send = options.send;
    this.#advance = options.advance;
    this.#clock = options.clock ?? realClock;
    this.#standby = options.standby ?? (() => false);
  }

  /** How many jobs the heap holds, removed ones not yet dropped included. */
  get size(): number {
    return this.#heap.size;
  }

  /** Queues jobs at their `sendAt`, then sets the timer if one of them is the earliest. */
  add(items: readonly T[]): void {
    this.#heap.pushAll(items);
    this.#arm();
  }

  /** Removes a job: it is not sent again, and dropped when it comes up. */
  remove(item: T): void {
    item.live = false;
    this.#dead++;
  }

  /** Clears the timers: nothing is sent or queued any more. */
  stop(): void {
    this.#stopped = true;
    this.#clock.clearTimeout(this.#timer);
    this.#clock.clearTimeout(this.#requeueTimer);
  }

  /** Sets the one timer for the earliest job, unless it is already set for it. */
  #arm(): void {
    if (this.#stopped) return;
    const top = this.#heap.peek();
    if (!top || top.sendAt >= this.#timerDue) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timerDue = top.sendAt;
    const delay = Math.max(0, this.#timerDue - this.#clock.now());
    this.#timer = this.#clock.setTimeout(
      this.#fire,
      Math.min(MAX_TIMER, delay),
    );
  }

  /** Sends every due job, then re-arms. */
  #fire = (): void => {
    this.#timerDue = Infinity;
    const now = this.#clock.now();
    const heap = this.#heap;
    const standby = this.#standby();
    for (let top = heap.peek(); top && top.sendAt <= now; top = heap.peek()) {
      heap.pop();
      if (!top.live) {
        this.#dead--;
        continue;
      }
      if ((top.standby || standby) && top.sendAt === top.firesAt) {
        // It went on standby after this tick was queued: send it as a backup.
        top.sendAt = top.firesAt + this.#standbyDelay;
        heap.push(top);
        continue;
      }
      this.#send(top, now);
      this.#fired.push(top);
    }
    this.#requeueTimer ??= this.#clock.setTimeout(this.#requeue, 0);
    this.#arm();
  };

  /** Queues each sent job at its next tick. */
  #requeue = (): void => {
    this.#requeueTimer = undefined;
    const fired = this.#fired;
    this.#fired = [];
    const standby = this.#standby();
    for (const item of fired) {
      if (!item.live) {
        this.#dead--;
        continue;
      }
      if (!this.#advance(item)) {
        item.live = false;
        continue;
      }
      item.sendAt = item.standby || standby
        ? item.firesAt + this.#standbyDelay
        : item.firesAt;
      this.#heap.push(item);
    }
    this.#compact();
    this.#arm();
  };

  /** Rebuilds the heap when more of it is removed jobs than live ones. */
  #compact(): void {
    if (this.#dead <= this.#heap.size / 2) return;
    const live: T[] = [];
    for (let item = this.#heap.pop(); item; item = this.#heap.pop()) {
      if (item.live) live.push(item);
    }
    for (const item of live) this.#heap.push(item);
    this.#dead = 0;
  }
}
