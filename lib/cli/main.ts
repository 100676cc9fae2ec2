/**
 * The command line of the executable: parses the arguments, runs a service or an admin
 * command, and turns the outcome into an exit code.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type Config, loadConfig, runService, VERSION } from "../ops/mod.ts";
import {
  connectionOptions,
  ignoreDiscardedSocketResets,
} from "../nats/connect.ts";
import { ScheduleError } from "../errors.ts";
import { redactMessage } from "../ops/redact.ts";
import type { Role } from "../types.ts";
import {
  ADMIN_COMMANDS,
  type AdminCommand,
  type AdminOptions,
  runAdmin,
} from "./admin.ts";
import { type DevOptions, runDev } from "./dev.ts";
import { USAGE, UsageError } from "./usage.ts";

/** The service commands, by the role each runs; `serve` is the old name of `node`. */
const SERVICES: Record<string, Role> = {
  node: "node",
  serve: "node",
  worker: "worker",
};

/** The options of every command; each command checks it was given only its own. */
const OPTIONS = {
  config: { type: "string" },
  help: { type: "boolean" },
  version: { type: "boolean" },
  json: { type: "boolean" },
  "show-secrets": { type: "boolean" },
  spec: { type: "string" },
  url: { type: "string" },
  method: { type: "string" },
  header: { type: "string", multiple: true },
  "secret-header": { type: "string", multiple: true },
  body: { type: "string" },
  tz: { type: "string" },
  file: { type: "string" },
  n: { type: "string", short: "n" },
  data: { type: "string" },
  port: { type: "string" },
} as const;

/**
 * Runs the command line; returns the exit code: 0 ok, 1 failure (printed on standard
 * error), 2 bad arguments (printed with the usage). With no command, runs a node.
 *
 * @example
 * ```ts ignore
 * Deno.exit(await main(["ls", "--config", "config/config.yml"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  ignoreDiscardedSocketResets();
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: OPTIONS });
  } catch (err) {
    return usage((err as Error).message);
  }
  const { config, help, version, ...options } = parsed.values;
  if (help || version) {
    console.log(help ? USAGE : VERSION);
    return 0;
  }
  const [command = "node", ...rest] = parsed.positionals;
  try {
    await run(command, rest, options, config);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) return usage(err.message);
    if (!(err instanceof ScheduleError)) throw err;
    console.error(`schedule: ${err.message}`);
    return 1;
  }
}

/** Runs a service or an admin command, loading the config at `path` when it needs it. */
async function run(
  command: string,
  args: string[],
  options: AdminOptions & DevOptions,
  path: string | undefined,
): Promise<void> {
  const env = Deno.env.toObject();
  if (Object.hasOwn(SERVICES, command)) {
    if (
      args.length > 0 || Object.values(options).some((v) => v !== undefined)
    ) {
      throw new UsageError(`${command} takes only --config`);
    }
    return await runService(SERVICES[command], await loadConfig(path, env));
  }
  if (command === "dev") return await runDev(args, options, path, env);
  if (!Object.hasOwn(ADMIN_COMMANDS, command)) {
    throw new UsageError(`unknown command: ${command}`);
  }
  let config: Config | undefined;
  const loaded = async () => config ??= await loadConfig(path, env);
  await runAdmin(
    command as AdminCommand,
    args,
    options,
    async () => adminConnection(await loaded()),
    () => config!.namespace,
  );
}

/** Connects an admin command to NATS once, without retrying. */
async function adminConnection(config: Config): Promise<NatsConnection> {
  const options = await connectionOptions(config.nats, "schedule-admin");
  try {
    return await connect({ ...options, maxReconnectAttempts: 0 });
  } catch (err) {
    throw new ScheduleError(
      `cannot connect to NATS: ${
        redactMessage((err as Error).message, config.nats.hosts)
      }`,
    );
  }
}

function usage(problem: string): number {
  console.error(`schedule: ${problem}\n\n${USAGE}`);
  return 2;
}
