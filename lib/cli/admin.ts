/**
 * Admin commands of the executable: manage and inspect the schedules of a namespace
 * through the client, without writing code.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/nats-core";
import { Schedule } from "../client/schedule.ts";
import { listProcesses } from "../ops/mod.ts";
import { nextRuns } from "../spec/spec.ts";
import { ScheduleError } from "../errors.ts";
import type { JobFlags } from "./jobs_input.ts";
import { type Shown, showSchedule } from "./schedule_commands.ts";
import { table } from "./table.ts";
import { UsageError } from "./usage.ts";

/** The admin commands, with their positional arguments and the options each takes. */
export const ADMIN_COMMANDS = {
  ls: { args: [], options: ["json", "show-secrets"] },
  get: { args: ["KEY"], options: ["json", "show-secrets"] },
  set: {
    args: ["KEY"],
    options: [
      "spec",
      "url",
      "method",
      "header",
      "secret-header",
      "body",
      "tz",
      "file",
      "json",
    ],
  },
  rm: { args: ["KEY"], options: ["json"] },
  pause: { args: ["KEY"], options: ["json"] },
  resume: { args: ["KEY"], options: ["json"] },
  next: { args: ["SPEC"], options: ["n", "tz", "json"] },
  nodes: { args: [], options: ["json"] },
} as const;

/** An admin command name. */
export type AdminCommand = keyof typeof ADMIN_COMMANDS;

/** The parsed options of an admin command. */
export interface AdminOptions extends JobFlags {
  /** Print JSON instead of a table. */
  json?: boolean;
  /** How many fire times `next` shows. */
  n?: string;
  /** Print header values and URL credentials instead of `***`. */
  "show-secrets"?: boolean;
}

/**
 * Runs one admin command and prints its result: an aligned table, or JSON with `--json`.
 * `connect` is called only by the commands that need NATS.
 *
 * @throws {UsageError} When the arguments do not fit the command.
 * @throws {ScheduleError} When the client rejects the request (not found, invalid job...),
 * or `get` finds an invalid stored definition (after printing it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runAdmin } from "./admin.ts";
 *
 * const lines: string[] = [];
 * const connect = () => Promise.reject(new Error("next needs no NATS"));
 * await runAdmin("next", ["@every 15s"], { n: "2" }, connect, () => "beta", (line) => {
 *   lines.push(line);
 * });
 * assert.equal(lines[0], "NEXT");
 * assert.equal(Date.parse(lines[2]) - Date.parse(lines[1]), 15_000);
 * ```
 */
export async function runAdmin(
  command: AdminCommand,
  args: string[],
  options: AdminOptions,
  connect: () => Promise<NatsConnection>,
  namespace: () => string,
  print: (line: string) => void = console.log,
): Promise<void> {
  checkArguments(command, args, options);
  let shown: Shown;
  if (command === "next") {
    shown = showNext(args[0], options);
  } else {
    const nc = await connect();
    try {
      shown = command === "nodes"
        ? await showNodes(nc, namespace())
        : await showSchedule(
          command,
          await Schedule.create(namespace(), nc),
          args[0],
          options,
        );
    } finally {
      await nc.close();
    }
  }
  if (options.json) print(JSON.stringify(shown.value, null, 2));
  else {
    const rows = shown.rows();
    if (rows.length > 0) table(rows).forEach((line) => print(line));
  }
  if (shown.failure !== undefined) throw new ScheduleError(shown.failure);
}

function checkArguments(
  command: AdminCommand,
  args: string[],
  options: AdminOptions,
): void {
  const spec = ADMIN_COMMANDS[command];
  if (args.length !== spec.args.length) {
    throw new UsageError(
      `${command} takes ${spec.args.join(" ") || "no argument"}`,
    );
  }
  for (const [name, value] of Object.entries(options)) {
    if (
      value !== undefined && !(spec.options as readonly string[]).includes(name)
    ) {
      throw new UsageError(`${command} does not take --${name}`);
    }
  }
}

function showNext(spec: string, options: AdminOptions): Shown {
  const count = Number(options.n ?? 5);
  if (!Number.isInteger(count) || count < 1) {
    throw new UsageError("-n takes a whole number");
  }
  const source = options.tz === undefined
    ? spec
    : `CRON_TZ=${options.tz} ${spec}`;
  const runs = nextRuns(source, count).map((date) => date.toISOString());
  return { value: runs, rows: () => [["NEXT"], ...runs.map((run) => [run])] };
}

async function showNodes(
  nc: NatsConnection,
  namespace: string,
): Promise<Shown> {
  const statuses = await listProcesses(nc, namespace);
  return {
    value: statuses,
    rows: () => [
      ["ROLE", "ID", "VERSION", "UPTIME", "DETAILS"],
      ...statuses.map((
        { role, id, version, uptime, namespace: _, ...details },
      ) => [
        role,
        id,
        version,
        `${uptime}s`,
        Object.entries(details).map(([k, v]) => `${k}=${v}`).join(" "),
      ]),
    ],
  };
}
