/**
 * Running a publisher node or a worker as a process: connection, health and metrics
 * endpoint, discovery, signals, clean stop.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/nats-core";
import type { Config, NatsConfig } from "./config.ts";
import {
  connectionOptions,
  connectWithRetry,
  RETRY_DELAY,
} from "../nats/connect.ts";
import { announce } from "./discovery.ts";
import { ConfigError, ScheduleError } from "../errors.ts";
import { createLogger, type Logger } from "./log.ts";
import { Metrics, serveMonitor } from "./monitor.ts";
import { Node } from "../node/node.ts";
import type { NamespaceOptions } from "../nats/namespace.ts";
import { VERSION } from "./version.ts";
import { Worker } from "../worker/mod.ts";
import type { Role } from "../types.ts";
import { watchConnection } from "./connection_status.ts";
import { redactHost, redactMessage } from "./redact.ts";
import { wait } from "../_util.ts";

/** What a running node or worker offers to this module. */
interface Running {
  stop(): Promise<void>;
  /**
   * False while it cannot do its work (a worker whose queue is lost) or should take no
   * traffic (a node whose clock is off).
   */
  ready(): boolean;
  readonly metrics: object;
  details(): Record<string, unknown>;
}

/**
 * Runs a node or a worker until SIGINT or SIGTERM (or, given `stop`, until it aborts),
 * then stops it cleanly.
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
  stop?: AbortSignal,
): Promise<void> {
  using signals = stop ? undefined : stopOnSignals();
  const stopping = stop ?? signals!.signal;
  const log = createLogger(config.log);
  const { nats } = config;
  logStarting(log, role, config);
  const metrics = new Metrics(role, VERSION);
  const state: State = { connected: false, started: false };
  metrics.natsConnected(() => state.connected);
  const monitor = startMonitor(config.http.port, {
    metrics,
    ready: () =>
      state.connected && state.started && (state.running?.ready() ?? false),
    log,
  });
  try {
    const options = await connectionOptions(
      nats,
      `schedule-${role}-${config.namespace}`,
    );
    const nc = await connectWithRetry(options, log, stopping);
    if (nc) {
      await serve(role, config, nc, { log, metrics, state }, stopping);
    } else {
      log.info("stopping");
      log.info("stopped");
    }
  } finally {
    await monitor.shutdown();
  }
}

/** Logs what is starting: the role, version, namespace and how NATS is reached. */
function logStarting(log: Logger, role: Role, config: Config): void {
  const { nats } = config;
  log.info("starting", {
    role,
    version: VERSION,
    namespace: config.namespace,
    hosts: nats.hosts.map(redactHost),
    auth: authMethod(nats),
    tls: nats.tls !== undefined,
  });
}

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

/**
 * A signal aborted on SIGINT or SIGTERM, which are listened to until disposed.
 *
 * @example
 * ```ts ignore
 * using stopping = stopOnSignals();
 * await new Promise((resolve) => stopping.signal.addEventListener("abort", resolve));
 * ```
 */
export function stopOnSignals(): { signal: AbortSignal } & Disposable {
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
  state: State;
}

/** What `/readyz` reads. */
interface State {
  connected: boolean;
  started: boolean;
  running?: Running;
}

async function serve(
  role: Role,
  config: Config,
  nc: NatsConnection,
  context: Context,
  stopping: AbortSignal,
): Promise<void> {
  const { log, metrics, state } = context;
  log.info("connected to NATS", { server: nc.getServer() });
  state.connected = true;
  const { hosts } = config.nats;
  const statusWatched = watchConnection(nc, state, metrics, log, hosts);
  // A connection the client closes for good (credentials refused twice on a
  // reconnect) never comes back: the process ends with an error, to be restarted.
  const lost = new AbortController();
  let lostFor: string | undefined;
  nc.closed().then((err) => {
    if (stopping.aborted) return;
    lostFor = redactMessage(err?.message ?? "closed", hosts);
    lost.abort();
  });
  const ended = AbortSignal.any([stopping, lost.signal]);
  let running: Running | null = null;
  try {
    running = await startUntilStopped(role, config, nc, context, ended);
    if (running && !ended.aborted) await wait(Infinity, ended);
  } finally {
    log.info("stopping");
    try {
      await running?.stop();
    } catch (err) {
      log.warn("stopped with an error", { error: (err as Error).message });
    }
    await closeConnection(nc, state.connected);
    await statusWatched;
    log.info("stopped", { ...running?.metrics });
  }
  if (lostFor !== undefined) {
    throw new ScheduleError(
      `the NATS connection was closed for good: ${lostFor}`,
    );
  }
}

/**
 * Starts the node or worker and announces it, retrying every 2 s while NATS fails (a
 * server lost, a stream being created by another process), until `stopping` is aborted.
 * Returns `null` when stopped first.
 *
 * @throws {ScheduleError} When the configuration cannot work, or the server has no
 * JetStream: retrying would not help.
 */
async function startUntilStopped(
  role: Role,
  config: Config,
  nc: NatsConnection,
  { log, metrics, state }: Context,
  stopping: AbortSignal,
): Promise<Running | null> {
  for (let attempt = 1; !stopping.aborted; attempt++) {
    let running: Running | undefined;
    try {
      running = role === "node"
        ? await startNode(nc, config, log, metrics, stopping)
        : await startWorker(nc, config, log, metrics);
      // Stopped while it loaded: not announced, stopped as it is.
      if (stopping.aborted) return running;
      const announced = await announce(
        nc,
        config.namespace,
        role,
        running.details,
      );
      return started(running, announced, state);
    } catch (err) {
      throwIfFatal(err);
      await running?.stop().catch(() => {});
      log.warn(`cannot start the ${role}; retrying`, {
        attempt,
        error: (err as Error).message,
      });
      await wait(RETRY_DELAY, stopping);
    }
  }
  return null;
}

/**
 * Marks `running` started for `/readyz`; returns it with a `stop` that marks it stopped,
 * withdraws its announcement, then stops it.
 */
function started(
  running: Running,
  announced: { stop(): Promise<void> },
  state: State,
): Running {
  state.running = running;
  state.started = true;
  return {
    ...running,
    stop: async () => {
      state.started = false;
      try {
        await announced.stop();
      } finally {
        await running.stop();
      }
    },
  };
}

/**
 * Throws what a retry would not help: a {@link ScheduleError}, or a server without
 * JetStream.
 */
function throwIfFatal(err: unknown): void {
  if (err instanceof ScheduleError) throw err;
  if ((err as Error).name === "JetStreamNotEnabled") {
    throw new ScheduleError(
      "JetStream is not enabled on the NATS server: start it with -js",
    );
  }
}

/**
 * Drains the connection, or closes it when it is down or the drain takes more than 5 s:
 * a drain waits for a server that may never come back.
 */
async function closeConnection(
  nc: NatsConnection,
  connected: boolean,
): Promise<void> {
  if (connected) {
    const timeout = new AbortController();
    const drained = await Promise.race([
      nc.drain().then(() => true, () => false),
      wait(5000, timeout.signal).then(() => false),
    ]);
    timeout.abort();
    if (drained) return;
  }
  await nc.close().catch(() => {});
}

/**
 * Starts a node and waits until it has loaded the definitions, or `stopping` is aborted
 * (a load can wait for a server that is gone). A node that failed to load is stopped.
 */
async function startNode(
  nc: NatsConnection,
  config: Config,
  log: Logger,
  metrics: Metrics,
  stopping: AbortSignal,
): Promise<Running> {
  const started = await Node.start(nc, {
    namespace: config.namespace,
    queue: namespaceOptions(config, log),
    catchup: config.catchup,
    maxClockOffset: config.clock.maxOffset,
    logger: log,
    onStored: metrics.firingLag(),
  });
  try {
    await Promise.race([started.ready, wait(Infinity, stopping)]);
  } catch (err) {
    await started.stop().catch(() => {});
    throw err;
  }
  metrics.node(() => started.metrics);
  metrics.clock(started.clock);
  return {
    stop: () => started.stop(),
    metrics: started.metrics,
    ready: () => !started.clock.skewed && !started.loading,
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
    catchup: config.catchup,
    ...config.worker,
    queue: namespaceOptions(config, log),
    maxClockOffset: config.clock.maxOffset,
    logger: log,
    onRun: metrics.runs(),
  });
  metrics.worker(() => started.metrics);
  metrics.clock(started.clock);
  return {
    stop: () => started.stop(),
    ready: () => started.ready,
    metrics: started.metrics,
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

/**
 * How a node, a worker or an admin command creates the namespace: with the configured
 * `catchup` (where the workers' consumer starts) and replicas, if any; an existing stream
 * of other replicas is logged with `log`, when given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfig } from "./config.ts";
 * import { namespaceOptions } from "./service.ts";
 * const config = parseConfig(
 *   'namespace: beta\nnats: { hosts: ["nats:4222"], replicas: 3 }\ncatchup: 30s',
 *   {},
 * );
 * assert.deepEqual(namespaceOptions(config), { catchup: 30_000, replicas: 3 });
 * ```
 */
export function namespaceOptions(
  config: Config,
  log?: Logger,
): NamespaceOptions {
  const { replicas } = config.nats;
  return {
    catchup: config.catchup,
    ...(replicas !== undefined && { replicas, ...(log && { logger: log }) }),
  };
}
