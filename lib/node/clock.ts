/**
 * The time source of the node's timers, replaceable in tests.
 *
 * @module
 */

/** The longest a timer is set for, in ms; a later time is checked again then. */
export const MAX_TIMER = 3_600_000;

/** A timer set by a {@link Clock}. */
export type Timer = ReturnType<typeof setTimeout>;

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
 * The real clock: `Date.now`, `setTimeout` and `clearTimeout`.
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
  setTimeout: (callback, delay) => setTimeout(callback, delay),
  clearTimeout: (timer) => clearTimeout(timer),
};
