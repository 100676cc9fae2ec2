/**
 * The time source of the node's timers, replaceable in tests.
 *
 * @module
 */

import {
  clearImmediate,
  clearTimeout,
  setImmediate,
  setTimeout,
} from "node:timers";

/** The longest a timer is set for, in ms; a later time is checked again then. */
export const MAX_TIMER = 3_600_000;

/** A timer set by a {@link Clock}: a timeout, or an immediate. */
export type Timer =
  | ReturnType<typeof setTimeout>
  | ReturnType<typeof setImmediate>;

/** Reads the time and sets timers: the real clock, or a fake one in tests. */
export interface Clock {
  /** The current time, in epoch ms. */
  now(): number;
  /** Calls `callback` once after `delay` ms. */
  setTimeout(callback: () => void, delay: number): Timer;
  /** Cancels a timer; `undefined` is ignored. */
  clearTimeout(timer: Timer | undefined): void;
}

/**
 * Calls `callback` once after `delay` ms; with none, on the next turn of the event loop,
 * after the I/O ready: `setTimeout(callback, 0)` waits 1 to 4 ms more once timers are
 * set from timers a few times over (as the HTML standard has it), which a herd sent in
 * slices, or a queue prepared in them, would wait at each.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { clearTimer, setTimer } from "./clock.ts";
 * const order: string[] = [];
 * setTimer(() => order.push("next turn"), 0);
 * clearTimer(setTimer(() => order.push("cleared"), 0));
 * await new Promise((resolve) => setTimeout(resolve, 10));
 * assert.deepEqual(order, ["next turn"]);
 * ```
 */
export function setTimer(callback: () => void, delay: number): Timer {
  return delay > 0 ? setTimeout(callback, delay) : setImmediate(callback);
}

/** Cancels a timer of {@link setTimer}; `undefined` is ignored. */
export function clearTimer(timer: Timer | undefined): void {
  if (timer === undefined) return;
  // A timeout can be refreshed; an immediate cannot.
  if ("refresh" in timer) clearTimeout(timer);
  else clearImmediate(timer);
}

/**
 * The real clock: `Date.now`, {@link setTimer} and {@link clearTimer}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { realClock } from "./clock.ts";
 * assert.ok(Math.abs(realClock.now() - Date.now()) < 1000);
 * ```
 */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: setTimer,
  clearTimeout: clearTimer,
};
