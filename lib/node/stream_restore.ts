/**
 * The job stream created again by a node whose publishes find it missing (deleted under
 * it), so that its ticks, retried within their window, are stored rather than missed.
 *
 * @module
 */

import type { Namespace } from "../nats/namespace.ts";
import type { Logger } from "../ops/log.ts";
import type { NodeMetrics } from "./types.ts";

/** The least time between two attempts to create the job stream, in ms. */
export const RESTORE_EVERY = 1000;

/**
 * Creates the job stream and the workers' consumer again (`Namespace.provisionQueue`)
 * when told a publish found no stream: one attempt at a time, at most one each
 * {@link RESTORE_EVERY} ms, each logged; a stream created is counted (`streamRestores`).
 *
 * @example
 * ```ts ignore
 * const restore = new StreamRestore(namespace, log, metrics);
 * restore.missing(); // a publish failed with NoStreamError
 * ```
 */
export class StreamRestore {
  readonly #namespace: Namespace;
  readonly #log: Logger;
  readonly #metrics: NodeMetrics;
  #busy = false;
  #last = -Infinity;

  constructor(namespace: Namespace, log: Logger, metrics: NodeMetrics) {
    this.#namespace = namespace;
    this.#log = log;
    this.#metrics = metrics;
  }

  /** A publish found no job stream: creates it, unless an attempt is under way or recent. */
  missing(): void {
    const now = performance.now();
    if (this.#busy || now - this.#last < RESTORE_EVERY) return;
    this.#busy = true;
    this.#last = now;
    const stream = this.#namespace.names.jobStream;
    this.#log.warn("the job stream is missing; creating it again", { stream });
    this.#namespace.provisionQueue().then(
      ({ createdStream, createdConsumer }) => {
        if (createdStream) this.#metrics.streamRestores++;
        this.#log.info("job stream restored", {
          stream,
          streamCreated: createdStream,
          consumerCreated: createdConsumer,
        });
      },
      (err) =>
        this.#log.warn(
          "cannot create the job stream; trying at a later publish",
          {
            stream,
            error: (err as Error).message,
          },
        ),
    ).finally(() => this.#busy = false);
  }
}
