/**
 * The executable: a publisher node, a worker, or an admin command. This is what
 * `deno compile` builds into `dist/schedule`.
 *
 * ```sh
 * deno task start                          # a publisher node; reads ./config/config.yml
 * deno task worker                         # a worker (same config, `worker` section)
 * deno task start ls                       # an admin command
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { connect } from "@nats-io/transport-node";
import {
  ADMIN_COMMANDS,
  type AdminCommand,
  runAdmin,
  UsageError,
} from "./lib/cli/admin.ts";
import { type Config, DEFAULT_CONFIG, loadConfig } from "./lib/ops/config.ts";
import {
  connectionOptions,
  ignoreDiscardedSocketResets,
} from "./lib/nats/connect.ts";
import { ScheduleError } from "./lib/errors.ts";
import { runService } from "./lib/ops/service.ts";
import { VERSION } from "./lib/ops/version.ts";

const USAGE = `schedule ${VERSION}: a distributed cron on NATS JetStream

Usage: schedule [COMMAND] [--config PATH] [OPTIONS]

Services (run until SIGINT or SIGTERM):
  serve                 a publisher node for the config's namespace (the default)
  worker                a worker: executes the namespace's jobs

Admin commands (add --json for machine-readable output):
  ls                    list the schedules
  get KEY               the jobs of KEY with next and previous tick and last run
  set KEY --spec S --url U [--method M] [--header K=V]... [--body JSON] [--tz ZONE]
  set KEY --file JOBS   define KEY from a YAML or JSON file of jobs
  rm KEY                remove KEY
  pause KEY             stop KEY firing, keeping it
  resume KEY            let KEY fire again
  next SPEC [-n N] [--tz ZONE]   preview the next fire times of a spec
  nodes                 the live nodes and workers of the namespace

Options:
  --config PATH         the YAML config file (default ${DEFAULT_CONFIG})
  --help                print this help
  --version             print the version

Environment variables override the config file; see the README for the list.`;

/** Runs the command line; returns the exit code (0 ok, 1 failure, 2 bad arguments). */
export async function main(args: string[]): Promise<number> {
  ignoreDiscardedSocketResets();
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        config: { type: "string" },
        help: { type: "boolean" },
        version: { type: "boolean" },
        json: { type: "boolean" },
        spec: { type: "string" },
        url: { type: "string" },
        method: { type: "string" },
        header: { type: "string", multiple: true },
        body: { type: "string" },
        tz: { type: "string" },
        file: { type: "string" },
        n: { type: "string", short: "n" },
      },
    });
  } catch (err) {
    return usage((err as Error).message);
  }
  const { config: configPath, help, version, ...options } = parsed.values;
  if (help) {
    console.log(USAGE);
    return 0;
  }
  if (version) {
    console.log(VERSION);
    return 0;
  }
  const [command = "serve", ...rest] = parsed.positionals;
  const env = Deno.env.toObject();
  try {
    if (command === "serve" || command === "worker") {
      if (
        rest.length > 0 || Object.values(options).some((v) => v !== undefined)
      ) {
        return usage(`${command} takes only --config`);
      }
      await runService(
        command === "serve" ? "node" : "worker",
        await loadConfig(configPath, env),
      );
      return 0;
    }
    if (!(command in ADMIN_COMMANDS)) {
      return usage(`unknown command: ${command}`);
    }
    let config: Config | undefined;
    const loaded = async () => config ??= await loadConfig(configPath, env);
    await runAdmin(
      command as AdminCommand,
      rest,
      options,
      async () => {
        const options = await connectionOptions(
          (await loaded()).nats,
          "schedule-admin",
        );
        try {
          return await connect({ ...options, maxReconnectAttempts: 0 });
        } catch (err) {
          throw new ScheduleError(
            `cannot connect to NATS: ${(err as Error).message}`,
          );
        }
      },
      () => config!.namespace,
    );
    return 0;
  } catch (err) {
    if (err instanceof UsageError) return usage(err.message);
    if (!(err instanceof ScheduleError)) throw err;
    console.error(`schedule: ${err.message}`);
    return 1;
  }
}

function usage(problem: string): number {
  console.error(`schedule: ${problem}\n\n${USAGE}`);
  return 2;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
