/**
 * The defaults of the node's and the worker's settings, in one place: the options of the
 * embedded classes and the executable's configuration both read them.
 *
 * @module
 */

/** Defaults of a publisher node (durations in ms). */
export const NODE_DEFAULTS = {
  /** How late a tick may still be published. */
  catchup: 60_000,
  /** How much later than their owner a backup node sends the ticks not shown stored. */
  standbyDelay: 500,
  /**
   * How often a node probes the server's clock: the drift allowance between probes delays
   * its firing (0.25 ms at most at 500 ms), where a worker's run times need less.
   */
  clockInterval: 500,
  /** How long one publish waits for its acknowledgement. */
  publishTimeout: 5000,
} as const;

/** Defaults of a worker (durations in ms). */
export const WORKER_DEFAULTS = {
  /** Executions at once. */
  concurrency: 8,
  /** HTTP timeout when a job sets none. */
  timeout: 30_000,
  /** Tries per tick. */
  maxAttempts: 5,
  /** First retry delay, doubling each time. */
  retryDelay: 1000,
  /** Longest retry delay. */
  maxRetryDelay: 300_000,
  /** The shared consumer's ack wait. */
  ackWait: 30_000,
} as const;

/** Defaults of the server clock every node and worker keeps (durations in ms). */
export const CLOCK_DEFAULTS = {
  /** The largest offset to the server's clock before a node steps back to standby. */
  maxOffset: 1000,
  /** How often the server's clock is probed. */
  interval: 2000,
  /** How many recent probes are kept; the one bounding the server's time best is used. */
  samples: 8,
  /** The most the local and server clocks drift apart: 500 ppm, NTP's fastest slew. */
  drift: 5e-4,
} as const;
