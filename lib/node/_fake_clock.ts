/**
 * A fake {@link Clock} for the node's unit tests: time moves only when told to.
 *
 * @module
 */

import type { Clock, Timer } from "./clock.ts";

interface FakeTimer {
  at: number;
  callback: () => void;
}

/** A clock whose time and timers advance only with {@link FakeClock.advance}. */
export class FakeClock implements Clock {
  /** The delay of each timer set, in order. */
  readonly delays: number[] = [];
  readonly #timers = new Map<number, FakeTimer>();
  #now: number;
  #nextId = 1;

  constructor(now = 0) {
    this.#now = now;
  }

  /** How many timers are set and not yet run or cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, delay: number): Timer {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + delay, callback });
    this.delays.push(delay);
    return id as unknown as Timer;
  }

  clearTimeout(timer: Timer | undefined): void {
    this.#timers.delete(timer as unknown as number);
  }

  /** Moves time `ms` forward, running the timers due on the way in time order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (let id = this.#earliest(end); id !== null; id = this.#earliest(end)) {
      const timer = this.#timers.get(id)!;
      this.#timers.delete(id);
      this.#now = Math.max(this.#now, timer.at);
      timer.callback();
    }
    this.#now = end;
  }

  /** The timer due first at or before `end` (the first set among equals). */
  #earliest(end: number): number | null {
    let earliest: number | null = null;
    for (const [id, timer] of this.#timers) {
      if (timer.at > end) continue;
      if (earliest === null || timer.at < this.#timers.get(earliest)!.at) {
        earliest = id;
      }
    }
    return earliest;
  }
}
