/**
 * The worker's options and counters.
 *
 * @module
 */

import type { Logger } from "../ops/log.ts";
import type { NamespaceOptions } from "../nats/namespace.ts";
import type { RunRecord } from "../types.ts";

/**
 * Options of `Worker.start`. Defaults are those of `WORKER_DEFAULTS`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { WorkerOptions } from "@x/schedule/worker";
 * const options: WorkerOptions = { namespace: "beta", concurrency: 8, allowHosts: ["*.example.com"] };
 * assert.equal(options.concurrency, 8);
 * ```
 */
export interface WorkerOptions {
  /** The namespace whose queue this worker consumes. */
  namespace: string;
  /**
   * How many executions run at once in this worker.
   *
   * @default {WORKER_DEFAULTS.concurrency} 8
   */
  concurrency?: number;
  /**
   * The HTTP request timeout when a job sets none, in ms.
   *
   * @default {WORKER_DEFAULTS.timeout} 30 s
   */
  timeout?: number;
  /**
   * How many times a tick is tried before it fails for good.
   *
   * @default {WORKER_DEFAULTS.maxAttempts} 5
   */
  maxAttempts?: number;
  /**
   * The first retry's delay, in ms, doubling each time.
   *
   * @default {WORKER_DEFAULTS.retryDelay} 1 s
   */
  retryDelay?: number;
  /**
   * The longest retry delay, in ms.
   *
   * @default {WORKER_DEFAULTS.maxRetryDelay} 5 min
   */
  maxRetryDelay?: number;
  /**
   * How long the shared consumer waits for an ack before it redelivers to another worker,
   * in ms. Set on the consumer when it differs (left out: a new consumer gets 30 s, an
   * existing one keeps its own); a running execution keeps its message by signalling
   * progress.
   *
   * @default {WORKER_DEFAULTS.ackWait} 30 s
   */
  ackWait?: number;
  /**
   * When this worker creates the shared consumer (at start, or after it or the job
   * stream was deleted), how old the stored ticks it starts with may be, in ms.
   *
   * @default {NODE_DEFAULTS.catchup} 60 s
   */
  catchup?: number;
  /** Host names HTTP jobs may call (`*.example.com` for subdomains); any when unset. */
  allowHosts?: string[];
  /**
   * Networks (CIDR) HTTP jobs may reach although they are blocked by default:
   * link-local addresses and cloud metadata services.
   */
  allowNetworks?: string[];
  /**
   * The directory holding one file per secret that `secretHeaders` of HTTP jobs name,
   * read when `SCHEDULE_SECRET_<NAME>` is not set.
   */
  secretsDir?: string;
  /**
   * The name recorded in the run history.
   *
   * @default {$HOSTNAME} else a random one
   */
  name?: string;
  /**
   * The offset to the NATS server's clock, in ms, beyond which a warning is logged.
   *
   * @default {CLOCK_DEFAULTS.maxOffset} 1 s
   */
  maxClockOffset?: number;
  /** How the streams are created if they are missing. */
  queue?: NamespaceOptions;
  /**
   * Where events are logged.
   *
   * @default JSON lines on standard error
   */
  logger?: Logger;
  /** Called with each execution's record. */
  onRun?: (record: RunRecord) => void;
}

/**
 * Counters of a worker since it started.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { WorkerMetrics } from "@x/schedule/worker";
 * const failures = (m: WorkerMetrics) => m.failed;
 * assert.equal(failures({
 *   success: 3, retry: 1, failed: 2, superseded: 0, interrupted: 0, skipped: 0,
 *   cancelled: 0, malformed: 0, ranAlready: 0, unrecorded: 0, errors: 0,
 * }), 2);
 * ```
 */
export interface WorkerMetrics {
  /** Executions that succeeded. */
  success: number;
  /** Executions that failed and will be retried. */
  retry: number;
  /** Executions that failed for good. */
  failed: number;
  /** Ticks not run because their definition was removed or replaced (terminated). */
  superseded: number;
  /** Earlier attempts found lost: their worker stopped or lost NATS mid-call. */
  interrupted: number;
  /** Ticks not run because a run of the same job was in progress (overlap `skip`). */
  skipped: number;
  /** Runs aborted for a newer tick of the same job (overlap `cancel`). */
  cancelled: number;
  /** Queue messages that were not valid ticks (terminated). */
  malformed: number;
  /**
   * Copies of a governed tick delivered again after it ran to its end (acknowledged, not
   * run again).
   */
  ranAlready: number;
  /** Executions whose record could not be written to the run history (each logged). */
  unrecorded: number;
  /**
   * Executions ended by an error no step expects (each logged as an error): their tick is
   * delivered again after the ack wait.
   */
  errors: number;
}
