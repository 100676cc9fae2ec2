/**
 * The standard `process_*` metrics that Prometheus client libraries export, read at each
 * scrape with what Deno offers without extra permissions.
 *
 * @module
 */

import process from "node:process";
import { Counter, Gauge, type Registry } from "./prometheus.ts";

/** Where a Linux process's open file descriptors are listed. */
const FD_DIR = "/proc/self/fd";

/**
 * Registers `process_cpu_seconds_total`, `process_resident_memory_bytes`,
 * `process_start_time_seconds` and, where the process may list `/proc/self/fd` (Linux,
 * and Deno grants it only with `--allow-all`), `process_open_fds`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Registry } from "./prometheus.ts";
 * import { registerProcessMetrics } from "./process_metrics.ts";
 * const registry = new Registry();
 * registerProcessMetrics(registry);
 * assert.match(registry.render(), /^process_resident_memory_bytes \d+$/m);
 * ```
 */
export function registerProcessMetrics(registry: Registry): void {
  new Counter(
    registry,
    "process_cpu_seconds_total",
    "Total user and system CPU time spent in seconds.",
    () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1e6;
    },
  );
  new Gauge(
    registry,
    "process_resident_memory_bytes",
    "Resident memory size in bytes.",
    () => Deno.memoryUsage().rss,
  );
  new Gauge(
    registry,
    "process_start_time_seconds",
    "Start time of the process since unix epoch in seconds.",
  ).set(Math.floor(performance.timeOrigin / 1000));
  if (openFds() !== undefined) {
    new Gauge(
      registry,
      "process_open_fds",
      "Number of open file descriptors.",
      () => openFds() ?? 0,
    );
  }
}

/** The number of open file descriptors, or `undefined` when they cannot be listed. */
function openFds(): number | undefined {
  try {
    let count = 0;
    for (const _ of Deno.readDirSync(FD_DIR)) count++;
    return count;
  } catch {
    return undefined;
  }
}
