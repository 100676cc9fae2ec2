/**
 * The node's timer queue: jobs ordered by the time they are sent, under one timer.
 *
 * @module
 */

import { type Clock, MAX_TIMER, realClock, type Timer } from "./clock.ts";
import { MinHeap } from "./heap.ts";
import { PrepareAhead } from "./prepare_ahead.ts";

/**
 * How many due jobs one turn of the event loop hands on (sends, or queues as backups);
 * the rest wait for the next turns, so that a change to a definition or an
 * acknowledgement is not held up behind a whole herd (the 10,800 ticks a second of a
 * million definitions took 90 to 110 ms in one go).
 */
export const FIRE_SLICE = 2_000;

/** What the queue reads and writes of a queued job. */
export interface Queued {
  /** The scheduled time of the job's next tick. */
  due: number;
  /** When it fires: `due` plus the job's jitter. */
  firesAt: number;
  /** When this node sends it: `firesAt`, or later while it is the tick's backup. */
  sendAt: number;
  /** Another node owns the tick at `due`: this node is its backup, from `firesAt + standbyDelay`. */
  backup: boolean;
  /** False once the job is removed or has no next tick. */
  live: boolean;
}

/**
 * What a backup does when its time comes: send the tick, skip it (its owner stored it), or
 * look again at the time given (its owner sent it and waits for the acknowledgement).
 */
export type BackupVerdict = "send" | "skip" | number;

/** How a {@link TimerQueue} sends its jobs and finds their next tick. */
export interface TimerQueueOptions<T extends Queued> {
  /** How much later than its owner a backup looks at a tick, in ms. */
  standbyDelay: number;
  /** Sends the tick of `item` scheduled at `item.due`; `now` is when the timer fired. */
  send: (item: T, now: number) => void;
  /** Moves `item` to its next tick (`due`, `firesAt`); `false` when the job has no more. */
  advance: (item: T) => boolean;
  /** The time source (default: the real clock). */
  clock?: Clock;
  /** Whether this node owns the tick of `item` at `item.due`, sent on time (default: yes). */
  owns?: (item: T) => boolean;
  /** What this node does, as a backup, with the tick of `item` (default: sends it). */
  backup?: (item: T, now: number) => BackupVerdict;
  /**
   * How long before the earliest send time the timer is set, in ms; the rest is waited
   * out in a loop on the clock. Timers fire up to a few ms early or late; this makes the
   * send time exact, at the cost of that much busy waiting (default 0: none).
   */
  early?: number;
  /**
   * Prepares the tick of `item` at `item.due` ahead of its send time, when this node owns
   * it (see `PrepareAhead` for when).
   */
  prepare?: (item: T) => void;
  /**
   * The earliest send time of a tick sent and not yet acknowledged (default: none): the
   * preparing waits while a firing's ticks are not.
   */
  pendingFrom?: () => number;
  /** Called when a firing is left to more than one slice, after its first ({@link firing}). */
  onSlices?: () => void;
}

/**
 * Jobs by send time with one timer, set for the earliest. When it fires, every due job
 * this node owns is sent, and every other one waits `standbyDelay` as a backup, when
 * {@link TimerQueueOptions.backup} decides; {@link FIRE_SLICE} of them a turn of the
 * event loop. Queuing each job at its next tick waits for the turn after the last slice,
 * once the sends are flushed; a job another node owns is then queued straight at its
 * backup's look, so that a firing hands on only the ticks this node sends. When the
 * members change, {@link reassign} brings forward those this node comes to own.
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
 * queue.add([{ due: now, firesAt: now, sendAt: now, backup: false, live: true }]);
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
  readonly #owns: (item: T) => boolean;
  readonly #backup: (item: T, now: number) => BackupVerdict;
  readonly #ahead: PrepareAhead<T> | undefined;
  readonly #early: number;
  readonly #onSlices: () => void;
  /** Jobs sent (or skipped) and not yet queued at their next tick. */
  #fired: T[] = [];
  /** Removed jobs still in the heap or in `#fired`. */
  #dead = 0;
  /** Removed jobs whose tick was due and not yet handed on: handed on, then dropped. */
  readonly #lastTicks = new Set<T>();
  #timer: Timer | undefined;
  #timerDue = Infinity;
  /** The longest a backup has waited past its tick's send time, in ms. */
  #backupWait = 0;
  /** The time of the last firing: every tick this node owns due by then is sent. */
  #firedAt = 0;
  /** When the firing under way began, while its slices are not all handed on. */
  #firingSince: number | undefined;
  /** The jobs the firing under way hands to their backup: queued after its last slice. */
  #firstLooks: T[] = [];
  #requeueTimer: Timer | undefined;
  #stopped = false;

  constructor(options: TimerQueueOptions<T>) {
    this.#standbyDelay = options.standbyDelay;
    this.#send = options.send;
    this.#advance = options.advance;
    this.#clock = options.clock ?? realClock;
    this.#owns = options.owns ?? (() => true);
    this.#backup = options.backup ?? (() => "send");
    const { prepare, pendingFrom } = options;
    this.#ahead = prepare &&
      new PrepareAhead({
        prepare,
        pendingFrom,
        owns: this.#owns,
        clock: this.#clock,
      });
    this.#early = options.early ?? 0;
    this.#onSlices = options.onSlices ?? (() => {});
  }

  /**
   * The latest time through which every tick this node owns has been sent: now (or the
   * last firing, while the jobs it sent wait to be queued again), but before the earliest
   * job still queued.
   */
  get sentThrough(): number {
    const through = this.#fired.length > 0 ? this.#firedAt : this.#clock.now();
    const top = this.#heap.peek();
    return top ? Math.min(through, top.sendAt - 1) : through;
  }

  /**
   * While the slices of a firing are handed on, when it began: every due tick this node
   * owns whose send time is at or before it is being sent; 0 between firings.
   */
  get firing(): number {
    return this.#firingSince ?? 0;
  }

  /**
   * A time through which every tick of every queued job, owned or backed up, has been
   * handed on (sent, or skipped as its owner stored it): before the earliest tick still
   * queued, by its send time (`firesAt`, which is at most the longest a backup has waited
   * before its look), and at most now. A bound, not a scan of the queue (42 ms at a
   * million jobs): it may lag the exact time by that wait.
   */
  get settledThrough(): number {
    const top = this.#heap.peek();
    let through = this.#clock.now();
    if (top) through = Math.min(through, top.sendAt - this.#backupWait - 1);
    // A job fired and not yet queued again: its next tick comes after the one fired.
    for (const item of this.#fired) {
      if (item.live) through = Math.min(through, item.firesAt);
    }
    // A backup not yet queued for its first look: its tick is not handed on.
    for (const item of this.#firstLooks) {
      if (item.live) through = Math.min(through, item.firesAt - 1);
    }
    return through;
  }

  /** How many jobs the heap holds, removed ones not yet dropped included. */
  get size(): number {
    return this.#heap.size;
  }

  /**
   * Queues jobs at their `sendAt`, then sets the timer if one of them is the earliest;
   * their first ticks are prepared like the next ones (see {@link TimerQueueOptions.prepare}).
   */
  add(items: readonly T[]): void {
    this.#heap.pushAll(items);
    this.#ahead?.queued(items, 0);
    this.#arm();
  }

  /**
   * The members changed: the jobs queued as backups of a tick this node now owns are
   * queued at its send time again (a key whose owner left is sent on time, not
   * `standbyDelay` late). Linear in the jobs queued.
   */
  reassign(): void {
    const mine: T[] = [];
    this.#heap.reorder((item) => {
      if (!item.live || !item.backup || !this.#owns(item)) return false;
      item.backup = false;
      item.sendAt = item.firesAt;
      mine.push(item);
      return true;
    });
    if (mine.length === 0) return;
    this.#ahead?.queued(mine, 0);
    this.#arm();
  }

  /**
   * Removes a job: it is not queued at a next tick, and dropped when it comes up. A tick
   * already due (its scheduled time passed) that is not yet handed on still is, once: a
   * change applied while a herd is sent, or while a backup waits for its look, would else
   * lose it on every node.
   */
  remove(item: T): void {
    if (!item.live) return;
    item.live = false;
    this.#dead++;
    if (item.due <= this.#clock.now()) this.#lastTicks.add(item);
  }

  /** Clears the timers: nothing is sent or queued any more. */
  stop(): void {
    this.#stopped = true;
    this.#clock.clearTimeout(this.#timer);
    this.#clock.clearTimeout(this.#requeueTimer);
    this.#ahead?.stop();
  }

  /**
   * Sets the one timer for the earliest job, unless it is already set for it; `early`
   * before it, unless the clock fell short of it after the wait (then for the time left).
   */
  #arm(early = this.#early): void {
    if (this.#stopped) return;
    const top = this.#heap.peek();
    if (!top || top.sendAt >= this.#timerDue) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timerDue = top.sendAt;
    const delay = Math.max(0, this.#timerDue - this.#clock.now() - early);
    this.#timer = this.#clock.setTimeout(
      this.#fire,
      Math.min(MAX_TIMER, delay),
    );
  }

  /**
   * Sends every due job this node owns and decides the due backups, a
   * {@link FIRE_SLICE} at a time, then re-arms: at once while due jobs are left.
   */
  #fire = (): void => {
    const due = this.#timerDue;
    this.#timerDue = Infinity;
    const now = this.#waitUntil(due);
    const first = this.#firingSince === undefined;
    const since = this.#firingSince ??= now;
    const heap = this.#heap;
    const later: T[] = [];
    let handed = 0;
    for (
      let top = heap.peek();
      top && top.sendAt <= now && handed < FIRE_SLICE;
      top = heap.peek()
    ) {
      heap.pop();
      const removed = !top.live;
      if (removed) {
        this.#dead--;
        if (!this.#lastTicks.delete(top)) continue;
      }
      handed++;
      const verdict = top.backup
        ? this.#backup(top, now)
        : this.#owns(top)
        ? "send"
        : top.firesAt + this.#standbyDelay;
      if (typeof verdict === "number") {
        (top.backup ? later : this.#firstLooks).push(top);
        top.backup = true;
        top.sendAt = verdict;
        if (removed) {
          this.#dead++;
          this.#lastTicks.add(top);
        }
        continue;
      }
      if (verdict === "send") this.#send(top, now);
      if (!removed) this.#fired.push(top);
    }
    this.#firedAt = now;
    this.#endSlice(now, since, first, later);
    // The wait fell short of its time only if the clock stood still (a fake one in tests).
    const stood = now < due && due - now <= this.#early;
    this.#arm(stood ? 0 : this.#early);
  };

  /**
   * Ends a slice of the firing begun at `since`. With no due job left, the firing is
   * over: its backups are queued for their first look, and the jobs it sent at their next
   * tick. Else the backups to look at again are queued, and a first slice says so.
   */
  #endSlice(now: number, since: number, first: boolean, later: T[]): void {
    const next = this.#heap.peek();
    if (next === undefined || next.sendAt > now) {
      this.#firingSince = undefined;
      this.#lookLater(later, this.#firstLooks, this.#clock.now() - since);
      this.#firstLooks = [];
      this.#requeueTimer ??= this.#clock.setTimeout(this.#requeue, 0);
      return;
    }
    this.#lookLater(later, [], 0);
    if (first) this.#onSlices();
  }

  /**
   * Queues again, at once (in a herd, one heap rebuild), the backups to look at later. A
   * backup's first look, queued after the firing's last slice, also waits as long as the
   * whole firing `took`: the owner of a herd takes about as long to send its share, and
   * looking before its report says so would send a copy of each tick.
   */
  #lookLater(later: T[], firstLooks: readonly T[], took: number): void {
    for (const item of firstLooks) {
      item.sendAt += took;
      later.push(item);
    }
    for (const { sendAt, firesAt } of later) {
      this.#backupWait = Math.max(this.#backupWait, sendAt - firesAt);
    }
    this.#heap.pushAll(later);
  }

  /**
   * The clock's time once it reaches `due`, when that is at most {@link early} (and a
   * millisecond) of real time away; else the time now.
   */
  #waitUntil(due: number): number {
    let now = this.#clock.now();
    if (now >= due || due - now > this.#early) return now;
    const limit = performance.now() + this.#early + 1;
    while (now < due && performance.now() < limit) now = this.#clock.now();
    return now;
  }

  /**
   * Queues each sent job at its next tick: at its send time when this node owns it, else
   * at its backup's look.
   */
  #requeue = (): void => {
    this.#requeueTimer = undefined;
    const fired = this.#fired;
    this.#fired = [];
    const queued: T[] = [];
    for (const item of fired) {
      if (!item.live) {
        this.#dead--;
        this.#lastTicks.delete(item);
        continue;
      }
      if (!this.#advance(item)) {
        item.live = false;
        continue;
      }
      item.backup = !this.#owns(item);
      item.sendAt = item.firesAt + (item.backup ? this.#standbyDelay : 0);
      if (item.backup) {
        this.#backupWait = Math.max(this.#backupWait, this.#standbyDelay);
      }
      queued.push(item);
    }
    this.#heap.pushAll(queued);
    this.#compact();
    this.#ahead?.queued(queued, this.#firedAt);
    this.#arm();
  };

  /**
   * Rebuilds the heap when more of it is removed jobs than live ones; the removed with a
   * last tick to hand on stay.
   */
  #compact(): void {
    if (this.#dead <= this.#heap.size / 2) return;
    this.#heap.retain((item) => item.live || this.#lastTicks.has(item));
    this.#dead = this.#lastTicks.size;
  }
}
