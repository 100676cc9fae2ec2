/**
 * The usage text of the executable, and the error that prints it.
 *
 * @module
 */

import { DEFAULT_CONFIG, VERSION } from "../ops/mod.ts";
import { ScheduleError } from "../errors.ts";

/** What `--help` prints, and what follows a usage error. */
export const USAGE = `schedule ${VERSION}: a distributed cron on NATS JetStream

Usage: schedule [COMMAND] [--config PATH] [OPTIONS]

Services (run until SIGINT or SIGTERM):
  node (alias: serve)   a node: publishes the ticks of the config's namespace (the default)
  worker                a worker: executes the namespace's jobs
  dev [--data DIR] [--port N]   a nats-server (data in DIR, default .schedule-dev; port
                        default 4222, 0: any), a node and a worker, for development

Admin commands (add --json for machine-readable output):
  ls                    list the schedules (header values shown as *** unless --show-secrets)
  get KEY               the jobs of KEY with next and previous tick and last run
  set KEY --spec S --url U [--method M] [--header K=V]... [--body JSON] [--tz ZONE]
                        [--secret-header K=SECRET]...  (a secret only workers hold)
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

/**
 * Bad command-line arguments: the command line prints the problem and the usage, and
 * exits with 2.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ScheduleError } from "../errors.ts";
 * import { UsageError } from "./usage.ts";
 *
 * const err = new UsageError("get takes KEY");
 * assert.ok(err instanceof ScheduleError);
 * assert.equal(err.name, "UsageError");
 * ```
 */
export class UsageError extends ScheduleError {}
