/**
 * What the admin commands share: the config with the global flags on top, one NATS
 * connection per command, and the namespace's schedules.
 *
 * @module
 */

import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Schedule } from "../client/schedule.ts";
import { connectionOptions } from "../nats/connect.ts";
import { type Config, CONFIG_ENV, loadConfig } from "../ops/config.ts";
import { redactMessage } from "../ops/redact.ts";
import { namespaceOptions } from "../ops/service.ts";
import { ScheduleError } from "../errors.ts";
import { assertNamespaceExists } from "../nats/namespace.ts";

/** The flags every command takes, as the nats CLI's context flags. */
export interface GlobalFlags {
  /** The YAML config file. */
  config?: string;
  /** The namespace, instead of the config's. */
  namespace?: string;
  /** The NATS URLs (comma-separated), instead of the config's. */
  server?: string;
  /** Who makes a change (default `$USER`). */
  by?: string;
}

/**
 * Loads the config of `flags.config`, with the environment on top and `--namespace`
 * and `--server` on top of that.
 *
 * @throws {ConfigError} When the config file cannot be read or a field is invalid.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cliConfig } from "./context.ts";
 *
 * const config = await cliConfig({
 *   config: "/nonexistent.yml",
 *   namespace: "gamma",
 *   server: "nats://127.0.0.1:4333",
 * }).catch((err) => err.message);
 * assert.match(config, /cannot read the config file \/nonexistent.yml/);
 * ```
 */
export function cliConfig(flags: GlobalFlags): Promise<Config> {
  const env: Record<string, string | undefined> = Deno.env.toObject();
  if (flags.namespace !== undefined) {
    env[CONFIG_ENV.namespace] = flags.namespace;
  }
  if (flags.server !== undefined) env[CONFIG_ENV["nats.hosts"]] = flags.server;
  return loadConfig(flags.config, env);
}

/**
 * Connects once (no retry), runs `use` with the connection and the namespace, and
 * closes the connection.
 *
 * @throws {ScheduleError} When the config is invalid or NATS cannot be reached.
 */
export async function withNats<T>(
  flags: GlobalFlags,
  use: (nc: NatsConnection, config: Config) => Promise<T>,
): Promise<T> {
  const config = await cliConfig(flags);
  const options = await connectionOptions(config.nats, "schedule-admin");
  let nc: NatsConnection;
  try {
    nc = await connect({ ...options, maxReconnectAttempts: 0 });
  } catch (err) {
    throw new ScheduleError(
      `cannot connect to NATS: ${
        redactMessage((err as Error).message, config.nats.hosts)
      }`,
    );
  }
  try {
    return await use(nc, config);
  } finally {
    await nc.close();
  }
}

/**
 * Runs `use` with the schedules of the namespace. Only with `create` (`set`) is a
 * namespace that does not exist created: any other command on one (a mistyped
 * `--namespace`) fails and creates nothing.
 *
 * @throws {NotFoundError} When the namespace does not exist and `create` is false.
 * @throws {ScheduleError} Also when the server does not run JetStream.
 */
export function withSchedule<T>(
  flags: GlobalFlags,
  use: (schedule: Schedule) => Promise<T>,
  create = false,
): Promise<T> {
  return withNats(flags, async (nc, config) => {
    const { namespace } = config;
    if (!create) await assertNamespaceExists(nc, namespace);
    let schedule: Schedule;
    try {
      // Created as the services create it: a `set` before any node or worker starts.
      schedule = await Schedule.create(namespace, nc, namespaceOptions(config));
    } catch (err) {
      if ((err as Error).name !== "JetStreamNotEnabled") throw err;
      throw new ScheduleError(
        "JetStream is not enabled on the NATS server: start it with -js",
      );
    }
    return await use(schedule);
  });
}
