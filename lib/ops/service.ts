/**
 * Running a publisher node or a worker as a process: connection, health and metrics
 * endpoint, discovery, signals, clean stop.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/nats-core";
import type { Config, NatsConfig } from "./config.ts";
import { connectionOptions, connectWithRetry } from "../nats/connect.ts";
import { announce } from "./discovery.ts";
import { ConfigError } from "../errors.ts";
import { createLogger, type Logger } from "./log.ts";
import { Metrics, serveMonitor } from "./monitor.ts";
import { Node } from "../node/node.ts";
import { VERSION } from "./version.ts";
import { Worker } from "../worker/mod.ts";
import type { Role } from "../types.ts";
import { watchConnection } from "./connection_status.ts";

/** What a running node or worker offers to this module. */
interface Running {
  stop(): Promise<void>;
  readonly metrics: object;
  details(): Record<string, unknown>;
  /** False while it should take no traffic: a node whose clock is off. */
  ready(): boolean;
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
  using stopping = stopOnSignals();
  const log = createLogger({ debug: config.debug });
  const { nats } = config;
  log.info("starting", {
    role,
    version: VERSION,
    namespace: config.namespace,
    hosts: nats.hosts,
    auth: authMethod(nats),
    tls: nats.tls !== undefined,
  });
  const metrics = new Metrics(role, VERSION);
  const state: Context["state"] = { connected: false, running: undefined };
  const monitor = startMonitor(config.http.port, {
    metrics,
    ready: () => state.connected && state.running?.ready() === true,
    log,
  });
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
    await monitor.shutdown();
  }
}

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

/** A signal aborted on SIGINT or SIGTERM, which are listened to until disposed. */
function stopOnSignals(): { signal: AbortSignal } & Disposable {
  const stopping = new AbortController();
  const onSignal = () => stopping.abort();
  for (const signal of SIGNALS) Deno.addSignalListener(signal, onSignal);
  return {
    signal: stopping.signal,
    [Symbol.dispose]() {
      for (const signal of SIGNALS) Deno.removeSignalListener(signal, onSignal);
    },
  };
}

/** How the config authenticates to NATS, for the start line: never the secret. */
function authMethod(nats: NatsConfig): string {
  const methods = ["nkey", "creds", "token", "user"] as const;
  return methods.find((method) => nats[method]) ?? "none";
}

/** Serves health and metrics on `port`, explaining a port in use. */
function startMonitor(
  port: number,
  options: Omit<Parameters<typeof serveMonitor>[0], "port">,
): Deno.HttpServer {
  try {
    return serveMonitor({ port, ...options });
  } catch (err) {
    if (!(err instanceof Deno.errors.AddrInUse)) throw err;
    throw new ConfigError(
      `http.port: port ${port} is in use; choose another (SCHEDULE_HTTP_PORT)`,
    );
  }
}

/** What a running service shares with its monitor. */
interface Context {
  log: Logger;
  metrics: Metrics;
  state: { connected: boolean; running: Running | undefined };
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
  const statusWatched = watchConnection(nc, state, metrics, log);
  const running = role === "node"
    ? await startNode(nc, config, log, metrics)
    : await startWorker(nc, config, log, metrics);
  state.running = running;
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
    maxClockOffset: config.clock.maxOffset,
    logger: log,
    onStored: metrics.firingLag(),
  });
  await started.ready;
  metrics.publisher(() => started.metrics);
  metrics.clock(started.clock);
  return {
    stop: () => started.stop(),
    metrics: started.metrics,
    ready: () => !started.clock.skewed,
    details: () => ({
      definitions: started.metrics.definitions,
      jobs: started.metrics.jobs,
      lastTick: started.lastTick?.toISOString() ?? null,
      published: started.metrics.published,
      missed: started.metrics.missed,
      ...clockDetails(started.clock),
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
    maxClockOffset: config.clock.maxOffset,
    logger: log,
    onRun: metrics.runs(),
  });
  metrics.worker(() => started.metrics);
  metrics.clock(started.clock);
  return {
    stop: () => started.stop(),
    metrics: started.metrics,
    ready: () => true,
    details: () => ({
      name: started.name,
      ...started.metrics,
      ...clockDetails(started.clock),
    }),
  };
}

/** The offset to the server's clock and its error, in ms, for the `nodes` command. */
function clockDetails(
  clock: { readonly offset: number; readonly error: number },
): Record<string, number> {
  return {
    clockOffsetMs: Math.round(clock.offset),
    clockErrorMs: Math.round(clock.error * 100) / 100,
  };
}
