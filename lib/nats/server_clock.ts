/**
 * The NATS server's clock as a node or worker sees it: probed every few seconds, read
 * through the local monotonic clock, so the local wall clock plays no part.
 *
 * @module
 */

import { CLOCK_DEFAULTS } from "../defaults.ts";
import { clearTimer, type Clock, setTimer, type Timer } from "../node/clock.ts";
import type { Logger } from "../ops/log.ts";
import { ClockEstimate } from "./clock_estimate.ts";

/** What a {@link ServerClock} needs. */
export interface ServerClockOptions {
  /** Asks the server its time; resolves with it in epoch ms. */
  probe: () => Promise<number>;
  /** The largest |offset| of the local wall clock, in ms, before it counts as skewed. */
  maxOffset?: number;
  /** How often the server is probed, in ms (default 2 s). */
  interval?: number;
  /** How many recent probes are kept (default 8). */
  samples?: number;
  /** Where crossing `maxOffset` is logged. */
  log: Logger;
}

/**
 * What a node or worker shows of its estimate of the NATS server's clock.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ClockReading } from "@x/schedule/node";
 * const reading: ClockReading = { offset: -3000, error: 0.2, skewed: true };
 * assert.equal(reading.skewed, true);
 * ```
 */
export interface ClockReading {
  /** The server's clock minus this process's, in ms. */
  readonly offset: number;
  /** How far off `offset` may be, in ms. */
  readonly error: number;
  /** True while `offset` is beyond the bound: a node then stands by. */
  readonly skewed: boolean;
}

/**
 * The server's clock. {@link now} is the *earliest* the server's time can be, so a tick
 * fired when `now() >= due` is never stored before `due` by the server's clock. It
 * implements the node's `Clock`, timers included (they are the real ones).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createLogger } from "../ops/log.ts";
 * import { ServerClock } from "./server_clock.ts";
 *
 * // A server 3 s ahead of this machine.
 * const clock = await ServerClock.start({
 *   probe: () => Promise.resolve(Date.now() + 3000),
 *   log: createLogger(),
 * });
 * assert.ok(Math.abs(clock.offset - 3000) < 50);
 * assert.ok(Math.abs(clock.now() - (Date.now() + 3000)) < 50); // the server's time
 * assert.equal(clock.skewed, true); // beyond the default bound of 1 s
 * clock.stop();
 * ```
 */
export class ServerClock implements Clock, ClockReading {
  readonly #estimate: ClockEstimate;
  readonly #probe: () => Promise<number>;
  readonly #maxOffset: number;
  readonly #interval: number;
  readonly #log: Logger;
  #skewed = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  /** Probes failed in a row since the last that answered. */
  #failures = 0;

  private constructor(options: ServerClockOptions) {
    this.#probe = options.probe;
    this.#maxOffset = options.maxOffset ?? CLOCK_DEFAULTS.maxOffset;
    this.#interval = options.interval ?? CLOCK_DEFAULTS.interval;
    this.#log = options.log;
    this.#estimate = new ClockEstimate({
      samples: options.samples ?? CLOCK_DEFAULTS.samples,
      drift: CLOCK_DEFAULTS.drift,
    });
  }

  /**
   * Probes the server three times, then every `interval` until {@link stop}.
   *
   * @throws {Error} When none of the first probes is answered.
   */
  static async start(options: ServerClockOptions): Promise<ServerClock> {
    const clock = new ServerClock(options);
    let failure: unknown;
    for (let probe = 0; probe < 3; probe++) {
      await clock.#sample().catch((err) => failure = err);
    }
    if (!clock.#estimate.known) throw failure;
    clock.#check();
    clock.#schedule();
    return clock;
  }

  /** The earliest the server's time can be now, in epoch ms. */
  now(): number {
    return this.#estimate.earliest(performance.now());
  }

  setTimeout(callback: () => void, delay: number): Timer {
    return setTimer(callback, delay);
  }

  clearTimeout(timer: Timer | undefined): void {
    clearTimer(timer);
  }

  /** The server's time minus the local wall clock, in ms (positive: this machine is behind). */
  get offset(): number {
    return this.#time().estimate - Date.now();
  }

  /** How far off {@link offset} may be, in ms: half the probe's round trip, plus drift since. */
  get error(): number {
    return this.#time().error;
  }

  /** Whether |{@link offset}| was beyond `maxOffset` at the last probe. */
  get skewed(): boolean {
    return this.#skewed;
  }

  /**
   * Stops probing; the last estimate stays readable. A probe under way is not waited for
   * (disconnected, it would hold the stop for its timeout), and what it finds is not
   * heard.
   */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #time() {
    return this.#estimate.at(performance.now())!;
  }

  async #sample(): Promise<void> {
    const sent = performance.now();
    const server = await this.#probe();
    this.#estimate.add({ sent, received: performance.now(), server });
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#sample().then(
        () => this.#answered(),
        (err: Error) => this.#failed(err),
      ).finally(() => this.#schedule());
    }, this.#interval);
  }

  /** A probe answered: the failures before it end (logged), and the bound is checked. */
  #answered(): void {
    if (this.#stopped) return;
    if (this.#failures > 0) {
      this.#log.info("probing the server's clock works again", {
        failures: this.#failures,
      });
      this.#failures = 0;
    }
    this.#check();
  }

  /**
   * A probe failed: the first of a run is a warning, since until one answers the error
   * grows by the drift bound and ticks go out that much later; the rest are debug lines.
   */
  #failed(err: Error): void {
    if (this.#stopped) return;
    const fields = {
      error: err.message,
      errorMs: Math.round(this.error * 1000) / 1000,
    };
    if (this.#failures++ > 0) {
      this.#log.debug("probing the server's clock failed", fields);
    } else {
      this.#log.warn(
        "probing the server's clock failed; the estimate ages until a probe answers",
        fields,
      );
    }
  }

  /** Logs a crossing of `maxOffset`, once each way. */
  #check(): void {
    const { offset, error } = this;
    const skewed = Math.abs(offset) > this.#maxOffset;
    if (skewed === this.#skewed) return;
    this.#skewed = skewed;
    const fields = {
      offset: Math.round(offset),
      error: Math.round(error * 1000) / 1000,
      maxOffset: this.#maxOffset,
    };
    if (skewed) {
      this.#log.warn(
        "the local clock is off the server's beyond the bound; standing by",
        fields,
      );
    } else this.#log.info("the local clock is back within the bound", fields);
  }
}
