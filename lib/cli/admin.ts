/**
 * Admin commands of the executable: manage and inspect the schedules of a namespace
 * through the client, without writing code.
 *
 * @module
 */

import { parse as parseYaml } from "yaml";
import type { NatsConnection } from "@nats-io/nats-core";
import { Schedule } from "../client/schedule.ts";
import { listProcesses } from "../ops/discovery.ts";
import { InvalidJobError, ScheduleError } from "../errors.ts";
import { redactUrl } from "../jobs/http/handler.ts";
import { HttpJob } from "../jobs/http/job.ts";
import { nextRuns } from "../spec/spec.ts";
import type { HttpMethod, HttpOption, Job, JobInfo } from "../types.ts";

/** The admin commands, with their positional arguments and the options each takes. */
export const ADMIN_COMMANDS = {
  ls: { args: [], options: ["json"] },
  get: { args: ["KEY"], options: ["json"] },
  set: {
    args: ["KEY"],
    options: ["spec", "url", "method", "header", "body", "tz", "file", "json"],
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
export interface AdminOptions {
  json?: boolean;
  spec?: string;
  url?: string;
  method?: string;
  header?: string[];
  body?: string;
  tz?: string;
  file?: string;
  n?: string;
}

/** Bad command-line arguments: the caller prints the usage and exits with 2. */
export class UsageError extends ScheduleError {}

/**
 * Runs one admin command and prints its result: an aligned table, or JSON with `--json`.
 * `connect` is called only by the commands that need NATS.
 *
 * @throws {UsageError} When the arguments do not fit the command.
 * @throws {ScheduleError} When the client rejects the request (not found, invalid job...).
 *
 * @example
 * ```ts ignore
 * await runAdmin("next", ["@every 15s"], { n: "3" }, () => connect(), "beta");
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
  const spec = ADMIN_COMMANDS[command];
  if (args.length !== spec.args.length) {
    throw new UsageError(
      `${command} takes ${spec.args.map((a) => a).join(" ") || "no argument"}`,
    );
  }
  for (const [name, value] of Object.entries(options)) {
    if (
      value !== undefined && !(spec.options as readonly string[]).includes(name)
    ) {
      throw new UsageError(`${command} does not take --${name}`);
    }
  }
  const output = (value: unknown, rows: () => string[][]) =>
    options.json
      ? print(JSON.stringify(value, null, 2))
      : table(rows()).forEach((line) => print(line));

  if (command === "next") {
    const count = Number(options.n ?? 5);
    if (!Number.isInteger(count) || count < 1) {
      throw new UsageError("-n takes a whole number");
    }
    const source = options.tz === undefined
      ? args[0]
      : `CRON_TZ=${options.tz} ${args[0]}`;
    const runs = nextRuns(source, count).map((date) => date.toISOString());
    return output(runs, () => [["NEXT"], ...runs.map((run) => [run])]);
  }

  const nc = await connect();
  try {
    if (command === "nodes") {
      const statuses = await listProcesses(nc, namespace());
      return output(statuses, () => [
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
      ]);
    }
    const schedule = await Schedule.create(namespace(), nc);
    const [key] = args;
    switch (command) {
      case "ls": {
        const keys = await schedule.list();
        const infos = await Promise.all(keys.map((k) => schedule.get(k)));
        return output(
          keys.map((k, i) => ({ key: k, jobs: infos[i] })),
          () => [
            ["KEY", "JOBS", "NEXT"],
            ...keys.map((
              k,
              i,
            ) => [k, String(infos[i].length), earliest(infos[i])]),
          ],
        );
      }
      case "get": {
        const jobs = await schedule.get(key);
        return output(jobs, () => [
          ["#", "MODE", "SPEC", "TZ", "TARGET", "NEXT", "PREV", "LAST RUN"],
          ...jobs.map((job, index) => [
            String(index),
            job.mode,
            job.spec,
            job.tz ?? "",
            target(job),
            job.state.next?.toISOString() ?? "-",
            job.state.prev?.toISOString() ?? "-",
            job.state.lastRun
              ? `${job.state.lastRun.outcome}${
                job.state.lastRun.status ? ` ${job.state.lastRun.status}` : ""
              }`
              : "-",
          ]),
        ]);
      }
      case "set": {
        const jobs = options.file === undefined
          ? [jobFromFlags(options)]
          : await jobsFromFile(options.file);
        await schedule.set(key, ...jobs);
        return output(
          { key, jobs: jobs.length },
          () => [[`set ${key}: ${jobs.length} job(s)`]],
        );
      }
      case "rm":
        await schedule.remove(key);
        return output({ key, removed: true }, () => [[`removed ${key}`]]);
      case "pause":
        await schedule.pause(key);
        return output({ key, paused: true }, () => [[`paused ${key}`]]);
      case "resume":
        await schedule.resume(key);
        return output({ key, paused: false }, () => [[`resumed ${key}`]]);
    }
  } finally {
    await nc.close();
  }
}

function jobFromFlags(options: AdminOptions): Job {
  if (options.spec === undefined || options.url === undefined) {
    throw new UsageError("set needs --spec and --url, or --file");
  }
  const option: HttpOption = { url: options.url };
  if (options.method !== undefined) {
    option.method = options.method.toUpperCase() as HttpMethod;
  }
  if (options.header?.length) {
    option.headers = {};
    for (const header of options.header) {
      const eq = header.indexOf("=");
      if (eq < 1) {
        throw new UsageError(`--header takes NAME=VALUE, not ${header}`);
      }
      option.headers[header.slice(0, eq)] = header.slice(eq + 1);
    }
  }
  if (options.body !== undefined) {
    try {
      option.body = JSON.parse(options.body);
    } catch {
      throw new UsageError("--body takes JSON");
    }
  }
  return HttpJob(options.spec, option, options.tz);
}

/** Reads a YAML or JSON file holding a job or a list of jobs (`{ mode, spec, tz?, option }`). */
async function jobsFromFile(path: string): Promise<Job[]> {
  let parsed: unknown;
  try {
    parsed = parseYaml(await Deno.readTextFile(path));
  } catch (err) {
    throw new UsageError(`--file ${path}: ${(err as Error).message}`);
  }
  const jobs = Array.isArray(parsed) ? parsed : [parsed];
  if (!jobs.every((job) => typeof job === "object" && job !== null)) {
    throw new InvalidJobError(
      `${path}: expected a job or a list of jobs (mode, spec, option)`,
    );
  }
  return jobs.map((job) => ({ mode: "HTTP", ...job }) as Job);
}

function target(job: JobInfo): string {
  if (job.mode !== "HTTP") return "";
  const option = job.option as HttpOption;
  return `${option.method ?? "POST"} ${redactUrl(new URL(option.url))}`;
}

function earliest(jobs: JobInfo[]): string {
  const times = jobs.map((job) => job.state.next?.getTime()).filter((t) =>
    t !== undefined
  );
  return times.length ? new Date(Math.min(...times)).toISOString() : "-";
}

/** Aligns rows into columns separated by two spaces. */
function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? "").length))
  );
  return rows.map((row) =>
    row.map((cell, column) =>
      column === row.length - 1 ? cell : cell.padEnd(widths[column])
    ).join("  ")
      .trimEnd()
  );
}
