/**
 * Private helpers of the node.
 *
 * @module
 */

import { NODE_DEFAULTS } from "../defaults.ts";
import type { Namespace } from "../nats/namespace.ts";
import type { Logger } from "../ops/log.ts";
import type { NodeMetrics, NodeOptions } from "./types.ts";

/** `catchup` as asked, or the job stream's duplicate window when that is shorter. */
export function catchupWindow(
  namespace: Namespace,
  options: NodeOptions,
  log: Logger,
): number {
  const window = namespace.jobStream.config.duplicate_window / 1e6;
  const catchup = options.catchup ?? NODE_DEFAULTS.catchup;
  if (catchup > window) {
    log.warn(
      "catchup is longer than the job stream's duplicate window; using the window",
      { catchup, duplicateWindow: window },
    );
  }
  return Math.min(catchup, window);
}

/** The node's name: as asked, else the host's, else a random one. */
export function nodeName(options: NodeOptions): string {
  return options.name ?? Deno.env.get("HOSTNAME") ??
    `node-${crypto.randomUUID().slice(0, 8)}`;
}

/** `standbyDelay` as asked (or its default), at most half the catch-up window. */
export function standbyDelayOf(options: NodeOptions, catchup: number): number {
  return Math.min(
    options.standbyDelay ?? NODE_DEFAULTS.standbyDelay,
    catchup / 2,
  );
}

/** The counters of a node that has done nothing yet. */
export function zeroNodeMetrics(): NodeMetrics {
  return {
    definitions: 0,
    jobs: 0,
    published: 0,
    duplicates: 0,
    covered: 0,
    missed: 0,
    skipped: 0,
    publishErrors: 0,
    rejected: 0,
    bucketReloads: 0,
    streamRestores: 0,
  };
}

/** Calls `fn` on each of `items`, in order, at most `size` at once. */
export async function pool<T>(
  items: readonly T[],
  size: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  const workers = Math.min(size, items.length);
  await Promise.all(Array.from({ length: workers }, worker));
}
