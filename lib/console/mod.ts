/**
 * The web console: see and steer a namespace's schedules in a browser. It is a client of
 * NATS like any other (it keeps no state of its own); `schedule console` serves it.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/nats-core";
import { Schedule } from "../../mod.ts";
import { ConfigError } from "../errors.ts";
import { connectionOptions, connectWithRetry } from "../nats/connect.ts";
import { assertNamespaceExists, Namespace } from "../nats/namespace.ts";
import type { Config } from "../ops/config.ts";
import { createLogger, type Logger } from "../ops/log.ts";
import { stopOnSignals } from "../ops/service.ts";
import { Access } from "./auth.ts";
import { consoleHandler } from "./handler.ts";
import { DefinitionIndex } from "./index.ts";
import { LiveHub } from "./live.ts";
import { RunFollower } from "./runs.ts";
import { wait } from "../_util.ts";
import { isLoopbackName } from "./host.ts";

/** A console being served. */
export interface RunningConsole {
  /** Its address, such as `http://127.0.0.1:8090`. */
  url: string;
  /** Stops serving and following (the connection is the caller's). */
  stop(): Promise<void>;
}

/**
 * Serves the console of `config.namespace` on `nc`, at `config.console`'s address,
 * logging to `log` (by default, as `config.log` says).
 *
 * @throws {ConfigError} When the port is in use or a credentials file is unreadable.
 *
 * @example
 * ```ts ignore
 * const running = await startConsole(nc, config);
 * console.log(running.url);
 * await running.stop();
 * ```
 */
export async function startConsole(
  nc: NatsConnection,
  config: Config,
  log: Logger = createLogger(config.log),
): Promise<RunningConsole> {
  const access = await Access.load(config.console);
  await assertNamespaceExists(nc, config.namespace);
  const namespace = await Namespace.open(nc, config.namespace);
  const client = await Schedule.create(config.namespace, nc);
  // What is started is stopped again when a later step fails, else by stop().
  await using started = new AsyncDisposableStack();
  const index = started.adopt(
    await DefinitionIndex.start(namespace, log),
    (index) => index.stop(),
  );
  const runs = started.adopt(
    await RunFollower.start(namespace, log),
    (runs) => runs.stop(),
  );
  const hub = started.adopt(
    LiveHub.start(client, index, runs),
    (hub) => hub.stop(),
  );
  const closing = new AbortController();
  const handler = consoleHandler({
    client,
    index,
    runs,
    hub,
    access,
    nc,
    maxOffset: config.clock.maxOffset,
    closing: closing.signal,
    log,
    loopback: isLoopbackName(config.console.hostname),
  });
  const server = listen(config, handler);
  const following = started.move();
  return {
    url: urlOf(server.addr),
    async stop() {
      closing.abort();
      await server.shutdown();
      await following.disposeAsync();
    },
  };
}

/**
 * Serves `handler` at `config.console`'s address.
 *
 * @throws {ConfigError} When the port is in use.
 */
function listen(
  config: Config,
  handler: Deno.ServeHandler<Deno.NetAddr>,
): Deno.HttpServer<Deno.NetAddr> {
  try {
    return Deno.serve({
      hostname: config.console.hostname,
      port: config.console.port,
      onListen() {},
    }, handler);
  } catch (err) {
    if (!(err instanceof Deno.errors.AddrInUse)) throw err;
    throw new ConfigError(
      `console.port: port ${config.console.port} is in use; choose another (SCHEDULE_CONSOLE_PORT)`,
    );
  }
}

/** The console's URL at `addr` (an IPv6 host in brackets). */
function urlOf({ hostname, port }: Deno.NetAddr): string {
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return `http://${host}:${port}`;
}

/**
 * Connects to NATS and serves the console until SIGINT or SIGTERM (or `stop`).
 *
 * @example
 * ```ts ignore
 * await runConsole(config);
 * ```
 */
export async function runConsole(
  config: Config,
  stop?: AbortSignal,
): Promise<void> {
  using signals = stop ? undefined : stopOnSignals();
  const stopping = stop ?? signals!.signal;
  const log = createLogger(config.log);
  const options = await connectionOptions(
    config.nats,
    `schedule-console-${config.namespace}`,
  );
  const nc = await connectWithRetry(options, log, stopping);
  if (nc === null) return;
  try {
    const running = await startConsole(nc, config, log);
    log.info("console listening", {
      url: running.url,
      namespace: config.namespace,
      writable: Boolean(
        config.console.token ?? config.console.tokenFile ?? config.console.user,
      ),
    });
    await wait(Infinity, stopping);
    log.info("stopping");
    await running.stop();
  } finally {
    await nc.close();
  }
}
