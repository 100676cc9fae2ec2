/**
 * The estimate of the server's clock from time stamps it assigned: the math of
 * {@link ServerClock}, on plain numbers.
 *
 * A probe sent at local monotonic time `sent` and answered at `received` carries a server
 * time stamp `server` taken in between, so the server's time minus the local monotonic
 * time was, at that moment, within `[server - received, server - sent]`: the middle is the
 * estimate, half the round trip the error. As the sample ages, the two clocks may drift
 * apart by at most `drift` ms per ms, which widens the interval.
 *
 * @module
 */

/** One probe of the server's clock. */
export interface ClockSample {
  /** Local monotonic time (`performance.now()`) when the probe was sent, in ms. */
  sent: number;
  /** Local monotonic time when its answer arrived, in ms. */
  received: number;
  /** The server's time stamp in the answer, in epoch ms. */
  server: number;
}

/** The server's time at one local moment, as far as the samples tell. */
export interface ServerTime {
  /** The lowest the server's time can be, in epoch ms: `estimate - error`. */
  earliest: number;
  /** The middle of the possible interval, in epoch ms. */
  estimate: number;
  /** Half the width of the possible interval, in ms. */
  error: number;
}

/** How a {@link ClockEstimate} keeps and ages its samples. */
export interface ClockEstimateOptions {
  /** How many recent samples are kept (the best one is used). */
  samples: number;
  /** The most the two clocks drift apart, in ms per ms (500 ppm: `5e-4`). */
  drift: number;
}

/**
 * The recent samples and the server time they bound. The sample used is the one giving
 * the tightest bound now: usually the latest, unless its round trip was slow. A sample
 * that contradicts a new one (the server's clock was stepped) is dropped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ClockEstimate } from "./clock_estimate.ts";
 *
 * const estimate = new ClockEstimate({ samples: 4, drift: 0 });
 * // Sent at 100, answered at 104, stamped 5102 by the server: it is 5000 ms ahead ± 2.
 * estimate.add({ sent: 100, received: 104, server: 5102 });
 * assert.deepEqual(estimate.at(110), { earliest: 5108, estimate: 5110, error: 2 });
 * ```
 */
export class ClockEstimate {
  readonly #size: number;
  readonly #drift: number;
  #samples: ClockSample[] = [];

  constructor(options: ClockEstimateOptions) {
    this.#size = options.samples;
    this.#drift = options.drift;
  }

  /** Whether a sample has been added. */
  get known(): boolean {
    return this.#samples.length > 0;
  }

  /** Adds a sample, dropping the oldest beyond `samples` and those it contradicts. */
  add(sample: ClockSample): void {
    const low = sample.server - sample.received;
    const high = sample.server - sample.sent;
    const consistent = this.#samples.filter((old) => {
      const widen = this.#drift * (sample.received - old.received);
      return old.server - old.received - widen <= high &&
        old.server - old.sent + widen >= low;
    });
    this.#samples = [...consistent, sample].slice(-this.#size);
  }

  /**
   * The server's time at local monotonic time `now`, from the sample that bounds it best;
   * `null` before the first sample.
   */
  at(now: number): ServerTime | null {
    const best = this.#best(now);
    if (best === undefined) return null;
    const error = this.#error(best, now);
    const estimate = estimateOf(best, now);
    return { earliest: estimate - error, estimate, error };
  }

  /**
   * The lowest the server's time can be at local monotonic time `now`: {@link at}'s
   * `earliest`, read without making an object (the timer queue reads it in a busy wait);
   * `NaN` before the first sample.
   */
  earliest(now: number): number {
    const best = this.#best(now);
    return best === undefined
      ? NaN
      : estimateOf(best, now) - this.#error(best, now);
  }

  /** The sample with the smallest error at `now`, the earliest of those tied. */
  #best(now: number): ClockSample | undefined {
    let best: ClockSample | undefined;
    let error = Infinity;
    for (const sample of this.#samples) {
      const bound = this.#error(sample, now);
      if (bound >= error) continue;
      best = sample;
      error = bound;
    }
    return best;
  }

  /** Half the round trip of `sample`, widened by the drift since it. */
  #error(sample: ClockSample, now: number): number {
    return (sample.received - sample.sent) / 2 +
      this.#drift * Math.max(0, now - sample.received);
  }
}

/** The server's time at `now` by `sample`: the stamp taken mid-round-trip. */
function estimateOf(sample: ClockSample, now: number): number {
  return now + sample.server - (sample.sent + sample.received) / 2;
}
