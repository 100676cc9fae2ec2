/**
 * Health and metrics over HTTP: `/healthz` (the process is alive), `/readyz` (connected
 * to NATS and started), `/metrics` (Prometheus text format).
 *
 * @module
 */

import { Counter, Gauge, Histogram, Registry } from "./prometheus.ts";
import type { Logger } from "./log.ts";
import type { NodeMetrics } from "../node/node.ts";
import type { Role, RunOutcome, RunRecord } from "../types.ts";
import type { WorkerMetrics } from "../worker/mod.ts";
import { registerProcessMetrics } from "./process_metrics.ts";

/** Every run outcome, so that each series of `schedule_runs_total` exists from the start. */
const RUN_OUTCOMES: Record<RunOutcome, true> = {
  success: true,
  retry: true,
  failed: true,
  superseded: true,
  interrupted: true,
  skipped: true,
  cancelled: true,
};

/** The counters of a publisher node: its field, the metric's name and help. */
const NODE_COUNTERS: [keyof NodeMetrics, string, string][] = [
  [
    "published",
    "schedule_ticks_published_total",
    "Ticks this node stored first.",
  ],
  [
    "duplicates",
    "schedule_ticks_duplicate_total",
    "Ticks another node had stored.",
  ],
  [
    "covered",
    "schedule_ticks_covered_total",
    "Ticks this node, their backup, found stored by their owner and did not send.",
  ],
  [
    "missed",
    "schedule_ticks_missed_total",
    "Ticks not published within catchup and absent from the job stream.",
  ],
  [
    "skipped",
    "schedule_ticks_skipped_total",
    "Late ticks a job's catch-up policy (latest, none) did not send.",
  ],
  [
    "publishErrors",
    "schedule_publish_errors_total",
    "Failed publish attempts.",
  ],
  [
    "rejected",
    "schedule_definitions_rejected_total",
    "Invalid stored definitions.",
  ],
  [
    "bucketReloads",
    "schedule_bucket_reloads_total",
    "Definitions reloaded after the bucket was deleted, recreated or purged.",
  ],
  [
    "streamRestores",
    "schedule_job_stream_restores_total",
    "Job streams created again after a publish found none.",
  ],
];

/**
 * Metrics of one process, in a registry of its own.
 *
 * @example
 * ```ts
 * import { Metrics } from "./monitor.ts";
 * const metrics = new Metrics("node", "0.1.0");
 * metrics.reconnected();
 * console.log(metrics.registry.render());
 * ```
 */
export class Metrics {
  /** The registry `/metrics` renders. */
  readonly registry: Registry = new Registry();
  readonly #reconnects: Counter;

  constructor(role: Role, version: string) {
    new Gauge(
      this.registry,
      "schedule_build_info",
      "Version and role of this process (always 1).",
    )
      .set(1, { version, role });
    this.#reconnects = new Counter(
      this.registry,
      "schedule_nats_reconnects_total",
      "Reconnections to NATS since start.",
    );
    this.#reconnects.inc({}, 0);
    registerProcessMetrics(this.registry);
  }

  /** Exposes whether the process is connected to NATS now, read at each scrape. */
  natsConnected(read: () => boolean): void {
    new Gauge(
      this.registry,
      "schedule_nats_connected",
      "1 while connected to NATS, else 0.",
      () => read() ? 1 : 0,
    );
  }

  /** Counts a reconnection to NATS. */
  reconnected(): void {
    this.#reconnects.inc();
  }

  /** Exposes a publisher node's counters, read at each scrape. */
  node(read: () => NodeMetrics): void {
    for (const [field, name, help] of NODE_COUNTERS) {
      new Counter(this.registry, name, help, () => read()[field]);
    }
    new Gauge(
      this.registry,
      "schedule_definitions",
      "Keys with at least one job firing.",
      () => read().definitions,
    );
    new Gauge(
      this.registry,
      "schedule_jobs",
      "Jobs firing.",
      () => read().jobs,
    );
  }

  /**
   * Exposes the offset to the NATS server's clock and its error, read at each scrape.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Metrics } from "./monitor.ts";
   * const metrics = new Metrics("node", "0.1.0");
   * metrics.clock({ offset: -3000, error: 0.5 });
   * assert.match(metrics.registry.render(), /^schedule_clock_offset_seconds -3$/m);
   * ```
   */
  clock(clock: { readonly offset: number; readonly error: number }): void {
    new Gauge(
      this.registry,
      "schedule_clock_offset_seconds",
      "The NATS server's clock minus this process's clock (negative: this one is ahead).",
      () => clock.offset / 1000,
    );
    new Gauge(
      this.registry,
      "schedule_clock_offset_error_seconds",
      "How far off the offset may be: half the probe's round trip, plus drift since.",
      () => clock.error / 1000,
    );
  }

  /** The observer of a node's firing lag (ms), for `NodeOptions.onStored`. */
  firingLag(): (lagMs: number) => void {
    const lag = new Histogram(
      this.registry,
      "schedule_firing_lag_seconds",
      "From a tick's scheduled time to its acknowledgement by the stream.",
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    );
    const observe = lag.observer();
    return (lagMs) => observe(lagMs / 1000);
  }

  /** Exposes a worker's counters, read at each scrape. */
  worker(read: () => WorkerMetrics): void {
    new Counter(
      this.registry,
      "schedule_ticks_malformed_total",
      "Queue messages that were not valid ticks.",
      () => read().malformed,
    );
    new Counter(
      this.registry,
      "schedule_ticks_ran_already_total",
      "Copies of a governed tick delivered again after it ran to its end, not run again.",
      () => read().ranAlready,
    );
    new Counter(
      this.registry,
      "schedule_runs_unrecorded_total",
      "Executions whose run record could not be written to the history.",
      () => read().unrecorded,
    );
    new Counter(
      this.registry,
      "schedule_worker_errors_total",
      "Executions ended by an error no step expects; their tick is delivered again.",
      () => read().errors,
    );
  }

  /**
   * The observer of a worker's executions, for `WorkerOptions.onRun`: counts them by
   * outcome and times them, and keeps the end of the last success of each job this worker
   * ran (one series per job, until the worker restarts).
   */
  runs(): (record: RunRecord) => void {
    const outcomes = Object.keys(RUN_OUTCOMES);
    const runs = new Counter(
      this.registry,
      "schedule_runs_total",
      `Executions by outcome (${outcomes.join(", ")}).`,
    );
    for (const outcome of outcomes) runs.inc({ outcome }, 0);
    const lastSuccess = new Gauge(
      this.registry,
      "schedule_job_last_success_timestamp_seconds",
      "When the last success of a job this worker ran ended, in unix seconds.",
    );
    const duration = new Histogram(
      this.registry,
      "schedule_run_duration_seconds",
      "Execution time by outcome.",
      [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    );
    return (record) => {
      runs.inc({ outcome: record.outcome });
      duration.observe(record.durationMs / 1000, { outcome: record.outcome });
      if (record.outcome === "success") {
        lastSuccess.set(
          (record.startedAt.getTime() + record.durationMs) / 1000,
          { key: record.key, index: String(record.index) },
        );
      }
    };
  }
}

/**
 * Serves `/healthz`, `/readyz` and `/metrics` on `port` (0: any free port).
 *
 * @example
 * ```ts ignore
 * const server = serveMonitor({ port: 8080, metrics, ready: () => true, log });
 * await server.shutdown();
 * ```
 */
export function serveMonitor(options: {
  port: number;
  metrics: Metrics;
  ready: () => boolean;
  log: Logger;
}): Deno.HttpServer<Deno.NetAddr> {
  const { metrics, ready, log } = options;
  return Deno.serve({
    port: options.port,
    onListen: ({ port }) => log.info("serving health and metrics", { port }),
  }, (request) => {
    switch (new URL(request.url).pathname) {
      case "/healthz":
        return new Response("ok\n");
      case "/readyz":
        return ready()
          ? new Response("ready\n")
          : new Response("not ready\n", { status: 503 });
      case "/metrics":
        return new Response(metrics.registry.render(), {
          headers: { "content-type": metrics.registry.contentType },
        });
      default:
        return new Response("not found\n", { status: 404 });
    }
  });
}
