/**
 * Preparing the ticks a node owns ahead of their send time, so that sending one is one
 * publish: at the top of a second (or a minute, or an hour) every microsecond spent per
 * tick delays the last one sent.
 *
 * @module
 */

import { type Clock, MAX_TIMER, type Timer } from "./clock.ts";
import { MinHeap } from "./heap.ts";
import type { Queued } from "./timer_queue.ts";

/**
 * How far ahead of its send time a tick is prepared, in ms. A tick prepared waits in
 * memory until it is sent: at a million definitions of a realistic mix (about 11,600
 * ticks a second) 10 s of them, where a minute's were about 700,000. And the next ticks of
 * a herd (a minute or more away) are not prepared while the server still stores it.
 */
export const PREPARE_WITHIN = 10_000;

/**
 * How long after a firing the next ticks of the jobs it sent are prepared, in ms: not
 * while the server stores that firing's ticks, which it does faster with the cores to
 * itself.
 */
export const PREPARE_AFTER = 250;

/**
 * How many times the preparing waits another {@link PREPARE_AFTER} while the ticks of the
 * firing are not all acknowledged (a herd the server is still storing): at most 1.5 s
 * after the firing, it prepares all the same.
 */
export const PREPARE_WAITS = 5;

/**
 * How many queued jobs one turn of the event loop sorts and prepares; the rest wait for
 * the next turns, so that a change to a definition, an ack or a firing is not held up
 * behind them all (a million at the first load took 1.2 s in one go). Preparing takes
 * 10 to 15 µs a job at a million: 5,000 a turn held the loop 65 to 150 ms.
 */
export const PREPARE_SLICE = 1_000;

/** What a {@link PrepareAhead} needs. */
export interface PrepareAheadOptions<T extends Queued> {
  /** Prepares the tick of `item` at `item.due`. */
  prepare: (item: T) => void;
  /** Whether this node owns the tick of `item` (only those are prepared). */
  owns: (item: T) => boolean;
  clock: Clock;
  /** The earliest send time of a tick sent and not yet acknowledged (default: none). */
  pendingFrom?: () => number;
}

/**
 * Prepares the ticks of jobs queued at them, {@link PREPARE_AFTER} later and once the
 * firing that queued them is acknowledged (see {@link PREPARE_WAITS}): those due within
 * {@link PREPARE_WITHIN} then, the later ones when they come within it (an hourly herd is
 * prepared ten seconds before its hour). A job removed (`live` false) or looked at as a
 * backup is not prepared.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PREPARE_AFTER, PrepareAhead } from "./prepare_ahead.ts";
 * import { FakeClock } from "./_fake_clock.ts";
 *
 * const clock = new FakeClock(0);
 * const prepared: number[] = [];
 * const ahead = new PrepareAhead({ clock, owns: () => true, prepare: (item) => prepared.push(item.due) });
 * const job = (due: number) => ({ due, firesAt: due, sendAt: due, backup: false, live: true });
 * ahead.queued([job(1000), job(3_600_000)], 0);
 * clock.advance(PREPARE_AFTER);
 * assert.deepEqual(prepared, [1000]);
 * clock.advance(3_590_000 - PREPARE_AFTER);
 * assert.deepEqual(prepared, [1000, 3_600_000], "ten seconds before its time");
 * ```
 */
export class PrepareAhead<T extends Queued> {
  readonly #prepare: (item: T) => void;
  readonly #owns: (item: T) => boolean;
  readonly #clock: Clock;
  readonly #pendingFrom: () => number;
  #queued: T[] = [];
  #timer: Timer | undefined;
  /** Jobs whose tick is further than {@link PREPARE_WITHIN}, by send time. */
  #far = new MinHeap<T>((item) => item.sendAt);
  /**
   * How many jobs {@link #far} held after its last compaction, or after a batch that
   * filled it from empty or doubled it.
   */
  #farKept = 0;
  #farTimer: Timer | undefined;
  #farDue = Infinity;
  /** The timers of the slices still to sort. */
  readonly #slices = new Set<Timer>();
  #stopped = false;

  constructor(options: PrepareAheadOptions<T>) {
    this.#prepare = options.prepare;
    this.#owns = options.owns;
    this.#clock = options.clock;
    this.#pendingFrom = options.pendingFrom ?? (() => Infinity);
  }

  /** Jobs queued at their next tick by the firing at `firedAt` (0 for none). */
  queued(items: readonly T[], firedAt: number): void {
    for (const item of items) this.#queued.push(item);
    this.#soon(0, firedAt);
  }

  /** Clears the timers: nothing more is prepared. */
  stop(): void {
    this.#stopped = true;
    this.#clock.clearTimeout(this.#timer);
    this.#clock.clearTimeout(this.#farTimer);
    for (const slice of this.#slices) this.#clock.clearTimeout(slice);
  }

  /**
   * {@link PREPARE_AFTER} from now, prepares the jobs queued; or waits that much again
   * while ticks sent by the firing at `firing` are not acknowledged, up to
   * {@link PREPARE_WAITS} times.
   */
  #soon(waits: number, firing: number): void {
    if (this.#queued.length === 0 || this.#timer || this.#stopped) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      if (waits < PREPARE_WAITS && this.#pendingFrom() <= firing) {
        return this.#soon(waits + 1, firing);
      }
      const items = this.#queued;
      this.#queued = [];
      this.#sort(items);
    }, PREPARE_AFTER);
  }

  /**
   * Prepares the jobs due within {@link PREPARE_WITHIN}, from `from` on, a
   * {@link PREPARE_SLICE} a turn; keeps the later ones, gathered in `far`.
   */
  #sort(items: readonly T[], from = 0, far: T[] = []): void {
    const now = this.#clock.now();
    const end = Math.min(items.length, from + PREPARE_SLICE);
    for (let i = from; i < end; i++) {
      const item = items[i];
      if (!item.live || item.backup || item.sendAt <= now) continue;
      if (item.sendAt > now + PREPARE_WITHIN) far.push(item);
      else if (this.#owns(item)) this.#prepare(item);
    }
    if (this.#stopped) return;
    if (end < items.length) {
      const slice = this.#clock.setTimeout(() => {
        this.#slices.delete(slice);
        this.#sort(items, end, far);
      }, 0);
      this.#slices.add(slice);
      return;
    }
    if (far.length === 0) return;
    // Before adding: the jobs just sorted are live. A heap they fill from empty, or at
    // least double, is counted compact: at most half of it can be removed jobs. (A
    // million queued at a load on top of a few took 366 ms to compact at the next sort.)
    const compact = far.length >= this.#far.size;
    this.#compact();
    this.#far.pushAll(far);
    if (compact) this.#farKept = this.#far.size;
    this.#armFar();
  }

  /** Sets the timer for when the earliest far job comes within {@link PREPARE_WITHIN}. */
  #armFar(): void {
    const earliest = this.#far.peekPriority();
    if (this.#stopped || earliest >= this.#farDue) return;
    this.#clock.clearTimeout(this.#farTimer);
    this.#farDue = earliest;
    const delay = earliest - PREPARE_WITHIN - this.#clock.now();
    this.#farTimer = this.#clock.setTimeout(
      this.#comeNear,
      Math.min(MAX_TIMER, Math.max(0, delay)),
    );
  }

  /** Prepares the far jobs now within {@link PREPARE_WITHIN}. */
  #comeNear = (): void => {
    this.#farDue = Infinity;
    const within = this.#clock.now() + PREPARE_WITHIN;
    const near: T[] = [];
    const far = this.#far;
    // By the send time each had when it was kept (a job fired since is sorted again).
    while (far.peekPriority() <= within) near.push(far.pop()!);
    this.#farKept = Math.min(this.#farKept, far.size);
    this.#sort(near);
    this.#armFar();
  };

  /** Drops the removed jobs once the far heap has doubled since it last did. */
  #compact(): void {
    if (this.#far.size <= 2 * this.#farKept + 1024) return;
    this.#far.retain((item) => item.live);
    this.#farKept = this.#far.size;
  }
}
