/**
 * Running a publisher node or a worker as a process: connection, health and metrics
 * endpoint, discovery, signals, clean stop.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/nats-core";
import type { Config } from "./config.ts";
import { connectionOptions, connectWithRetry } from "../nats/connect.ts";
import { announce } from "./discovery.ts";
import { ConfigError } from "../errors.ts";
import { createLogger, type Logger } from "./log.ts";
import { Metrics, serveMonitor } from "./monitor.ts";
import { Node } from "../node/node.ts";
import { VERSION } from "./version.ts";
import { Worker } from "../worker/worker.ts";
import type { Role } from "../types.ts";

/** What a running node or worker offers to this module. */
interface Running {
  stop(): Promise<void>;
  readonly metrics: object;
  details(): Record<string, unknown>;
}

/**
 * Runs a node or a worker until SIGINT or SIGTERM, then stops it cleanly.
 *
 * @throws {ConfigError} When NATS refuses the credentials or a credentials file is unreadable.
 *
 * @example
 * ```ts ignore
 * await runService("node", config);
 * ```
 */
export async function runService(
  role: Role,
  config: Config,
): Promise<void> {
  const stopping = new AbortController();
  const signals = ["SIGINT", "SIGTERM"] as const;
  const onSignal = () => stopping.abort();
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  const log = createLogger({ debug: config.debug });
  const { nats } = config;
  log.info("starting", {
    role,
    version: VERSION,
    namespace: config.namespace,
    hosts: nats.hosts,
    auth: nats.nkey
      ? "nkey"
      : nats.creds
      ? "creds"
      : nats.token
      ? "token"
      : nats.user
      ? "user"
      : "none",
    tls: nats.tls !== undefined,
  });
  const metrics = new Metrics(role, VERSION);
  const state = { connected: false, started: false };
  let monitor: Deno.HttpServer;
  try {
    monitor = serveMonitor({
      port: config.http.port,
      metrics,
      ready: () => state.connected && state.started,
      log,
    });
  } catch (err) {
    for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
    if (!(err instanceof Deno.errors.AddrInUse)) throw err;
    throw new ConfigError(
      `http.port: port ${config.http.port} is in use; choose another (SCHEDULE_HTTP_PORT)`,
    );
  }
  try {
    const options = await connectionOptions(
      nats,
      `schedule-${role}-${config.namespace}`,
    );
    const nc = await connectWithRetry(options, log, stopping.signal);
    if (nc) {
      await serve(role, config, nc, { log, metrics, state }, stopping.signal);
    }
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
    await monitor.shutdown();
  }
}

/** What a running service shares with its monitor. */
interface Context {
  log: Logger;
  metrics: Metrics;
  state: { connected: boolean; started: boolean };
}

async function serve(
  role: Role,
  config: Config,
  nc: NatsConnection,
  { log, metrics, state }: Context,
  stopping: AbortSignal,
): Promise<void> {
  log.info("connected to NATS", { server: nc.getServer() });
  state.connected = true;
  const statusWatched = (async () => {
    for await (const status of nc.status()) {
      if (status.type === "disconnect") {
        state.connected = false;
        log.warn("disconnected from NATS", { server: status.server });
      } else if (status.type === "reconnect") {
        state.connected = true;
        metrics.reconnected();
        log.info("reconnected to NATS", { server: status.server });
      } else if (status.type === "error") {
        log.error("NATS error", { error: status.error.message });
      }
    }
  })();
  const running = role === "node"
    ? await startNode(nc, config, log, metrics)
    : await startWorker(nc, config, log, metrics);
  state.started = true;
  const announced = await announce(nc, config.namespace, role, running.details);
  if (!stopping.aborted) {
    await new Promise((resolve) =>
      stopping.addEventListener("abort", resolve, { once: true })
    );
  }
  log.info("stopping");
  await announced.stop();
  await running.stop();
  await nc.drain();
  await statusWatched;
  log.info("stopped", { ...running.metrics });
}

async function startNode(
  nc: NatsConnection,
  config: Config,
  log: Logger,
  metrics: Metrics,
): Promise<Running> {
  const started = await Node.start(nc, {
    namespace: config.namespace,
    catchup: config.catchup,
    logger: log,
    onStored: metrics.firingLag(),
  });
  await started.ready;
  metrics.publisher(() => started.metrics);
  return {
    stop: () => started.stop(),
    metrics: started.metrics,
    details: () => ({
      definitions: started.metrics.definitions,
      jobs: started.metrics.jobs,
      lastTick: started.lastTick?.toISOString() ?? null,
      published: started.metrics.published,
      missed: started.metrics.missed,
    }),
  };
}

async function startWorker(
  nc: NatsConnection,
  config: Config,
  log: Logger,
  metrics: Metrics,
): Promise<Running> {
  const started = await Worker.start(nc, {
    namespace: config.namespace,
    ...config.worker,
    logger: log,
    onRun: metrics.runs(),
  });
  metrics.worker(() => started.metrics);
  return {
    stop: () => started.stop(),
    metrics: started.metrics,
    details: () => ({ name: started.name, ...started.metrics }),
  };
}
