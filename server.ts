/**
 * The entry point of the publisher node and the worker, and what `deno compile` builds
 * into one executable.
 *
 * ```sh
 * deno task start                          # a publisher node; reads ./config/config.yml
 * deno task start --config /app/config/config.yml
 * deno task worker                         # a worker (same config, `worker` section)
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  connect,
  type NatsConnection,
  nkeyAuthenticator,
} from "@nats-io/transport-node";
import denoJson from "./deno.json" with { type: "json" };
import { type Config, parseConfig } from "./lib/config.ts";
import { ConfigError } from "./lib/errors.ts";
import { createLogger, type Logger } from "./lib/log.ts";
import { Publisher } from "./lib/publisher.ts";
import { Worker } from "./lib/worker.ts";

const DEFAULT_CONFIG = "./config/config.yml";
const USAGE =
  `schedule ${denoJson.version}: a distributed cron on NATS JetStream

Usage: schedule [serve|worker] [--config PATH]

Commands:
  serve           run a publisher node for the namespace of the config file (default)
  worker          run a worker: consume the namespace's job queue and execute the jobs

Options:
  --config PATH   the YAML config file (default ${DEFAULT_CONFIG})
  --help          print this help
  --version       print the version

Environment variables override the file: SCHEDULE_NAMESPACE, SCHEDULE_DEBUG,
SCHEDULE_CATCHUP, SCHEDULE_NATS_HOSTS (comma-separated), SCHEDULE_NATS_NKEY,
SCHEDULE_WORKER_CONCURRENCY, SCHEDULE_WORKER_TIMEOUT, SCHEDULE_WORKER_MAX_ATTEMPTS,
SCHEDULE_WORKER_RETRY_DELAY, SCHEDULE_WORKER_MAX_RETRY_DELAY, SCHEDULE_WORKER_ACK_WAIT,
SCHEDULE_WORKER_ALLOW_HOSTS (comma-separated).`;

/**
 * Loads the configuration: the file at `path` (it may be missing only when it is the
 * default path) with the environment on top.
 *
 * @throws {ConfigError} When the file cannot be read or a field is invalid.
 */
export async function loadConfig(
  path: string | undefined,
  env: Record<string, string | undefined>,
): Promise<Config> {
  let text: string | undefined;
  try {
    text = await Deno.readTextFile(path ?? DEFAULT_CONFIG);
  } catch (err) {
    if (!(path === undefined && err instanceof Deno.errors.NotFound)) {
      throw new ConfigError(
        `cannot read the config file ${path}: ${(err as Error).message}`,
      );
    }
  }
  return parseConfig(text, env);
}

/** Connects with the configured hosts and credentials, retrying forever. */
export function connectNats(
  config: Config,
  name: string,
): Promise<NatsConnection> {
  const { hosts, nkey } = config.nats;
  return connect({
    servers: hosts,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    waitOnFirstConnect: true,
    authenticator: nkey === undefined
      ? undefined
      : nkeyAuthenticator(new TextEncoder().encode(nkey)),
  });
}

/** Logs the connection's status changes until it closes. */
async function logStatus(nc: NatsConnection, log: Logger): Promise<void> {
  for await (const status of nc.status()) {
    switch (status.type) {
      case "disconnect":
        log.warn("disconnected from NATS", { server: status.server });
        break;
      case "reconnect":
        log.info("reconnected to NATS", { server: status.server });
        break;
      case "error":
        log.error("NATS error", { error: status.error.message });
        break;
    }
  }
}

/** Starts the service a command names. */
async function startService(
  command: string,
  nc: NatsConnection,
  config: Config,
  log: Logger,
) {
  if (command === "worker") {
    return await Worker.start(nc, {
      namespace: config.namespace,
      ...config.worker,
      logger: log,
    });
  }
  const node = await Publisher.start(nc, {
    namespace: config.namespace,
    catchup: config.catchup,
    logger: log,
  });
  await node.ready;
  return node;
}

/** Runs a publisher node or a worker until SIGINT or SIGTERM; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        config: { type: "string" },
        help: { type: "boolean" },
        version: { type: "boolean" },
      },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(USAGE);
    return 0;
  }
  if (parsed.values.version) {
    console.log(denoJson.version);
    return 0;
  }
  const [command = "serve", ...extra] = parsed.positionals;
  if (!["serve", "worker"].includes(command) || extra.length > 0) {
    console.error(
      `unknown command: ${parsed.positionals.join(" ")}\n\n${USAGE}`,
    );
    return 2;
  }
  let config: Config;
  try {
    config = await loadConfig(parsed.values.config, Deno.env.toObject());
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`schedule: ${err.message}`);
    return 1;
  }
  const { promise: stopped, resolve: stop } = Promise.withResolvers<string>();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => stop(signal));
  }
  const log = createLogger({ debug: config.debug });
  log.info("starting", {
    role: command === "worker" ? "worker" : "node",
    version: denoJson.version,
    namespace: config.namespace,
    hosts: config.nats.hosts,
    nkey: config.nats.nkey === undefined ? "none" : "set",
  });
  const nc = await connectNats(
    config,
    `schedule-${command}-${config.namespace}`,
  );
  const statusLogged = logStatus(nc, log);
  log.info("connected to NATS", { server: nc.getServer() });
  const service = await startService(command, nc, config, log);
  const signal = await stopped;
  log.info("stopping", { signal });
  await service.stop();
  await nc.drain();
  await statusLogged;
  log.info("stopped", { ...service.metrics });
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
