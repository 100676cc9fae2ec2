/**
 * The admin commands that read or change the schedules of a namespace through the
 * client: `ls`, `get`, `set`, `rm`, `pause`, `resume`.
 *
 * @module
 */

import type { Schedule } from "../client/schedule.ts";
import { InvalidKeyError, NotFoundError, ScheduleError } from "../errors.ts";
import { redactUrl } from "../jobs/http/handler.ts";
import { maskJob } from "../jobs/job.ts";
import type { HttpOption, JobInfo } from "../types.ts";
import { type JobFlags, jobsFromFlags } from "./jobs_input.ts";

/** What a command shows: a value (printed with `--json`), or the rows of a table. */
export interface Shown {
  /** The value `--json` prints. */
  value: unknown;
  /** The rows of the table printed otherwise, the header first. */
  rows: () => string[][];
  /** Why the command fails after showing `value`: it then exits non-zero. */
  failure?: string;
}

/** A stored entry that cannot be read, with its key and the reason. */
export interface InvalidEntry {
  /** The key. */
  key: string;
  /** Why its value is not a valid definition. */
  invalid: string;
}

/** The commands of this module. */
export type ScheduleCommand = "ls" | "get" | "set" | "rm" | "pause" | "resume";

/**
 * Runs one schedule command on `key` (ignored by `ls`) and returns what it shows: header
 * values and URL credentials masked as `***` unless `show-secrets` is set.
 *
 * @throws {ScheduleError} When the client rejects the request (not found, invalid job...).
 * @throws {UsageError} When the flags of `set` do not define a job.
 *
 * @example
 * ```ts ignore
 * const shown = await showSchedule("get", await Schedule.create("beta", nc), "report", {});
 * ```
 */
export async function showSchedule(
  command: ScheduleCommand,
  schedule: Schedule,
  key: string,
  flags: JobFlags & { "show-secrets"?: boolean },
): Promise<Shown> {
  const mask = flags["show-secrets"] ? <J>(job: J) => job : maskJob;
  switch (command) {
    case "ls":
      return await list(schedule, mask);
    case "get":
      return await get(schedule, key, mask);
    case "set": {
      const jobs = await jobsFromFlags(flags);
      await schedule.set(key, ...jobs);
      return {
        value: { key, jobs: jobs.length },
        rows: () => [[`set ${key}: ${jobs.length} job(s)`]],
      };
    }
    case "rm":
      await schedule.remove(key);
      return {
        value: { key, removed: true },
        rows: () => [[`removed ${key}`]],
      };
    case "pause":
      await schedule.pause(key);
      return { value: { key, paused: true }, rows: () => [[`paused ${key}`]] };
    case "resume":
      await schedule.resume(key);
      return {
        value: { key, paused: false },
        rows: () => [[`resumed ${key}`]],
      };
  }
}

/** How jobs are printed: masked, or as they are with `--show-secrets`. */
type Mask = (job: JobInfo) => JobInfo;

async function list(schedule: Schedule, mask: Mask): Promise<Shown> {
  const keys = await schedule.list();
  const infos = await Promise.all(keys.map((k) => read(schedule, k, mask)));
  return {
    value: keys.map((k, i) => {
      const info = infos[i];
      return Array.isArray(info) ? { key: k, jobs: info } : info;
    }),
    rows: () => [
      ["KEY", "JOBS", "NEXT"],
      ...keys.map((k, i) => {
        const info = infos[i];
        return Array.isArray(info)
          ? [k, String(info.length), earliest(info)]
          : [k, "INVALID", info.invalid];
      }),
    ],
  };
}

async function get(
  schedule: Schedule,
  key: string,
  mask: Mask,
): Promise<Shown> {
  const jobs = await read(schedule, key, mask);
  if (!Array.isArray(jobs)) {
    return {
      value: jobs,
      rows: () => [],
      failure: `"${key}" holds an invalid definition: ${jobs.invalid}`,
    };
  }
  return {
    value: jobs,
    rows: () => [
      ["#", "MODE", "SPEC", "TZ", "TARGET", "NEXT", "PREV", "LAST RUN"],
      ...jobs.map((job, index) => [
        String(index),
        job.mode,
        job.spec,
        job.tz ?? "",
        target(job),
        job.state.next?.toISOString() ?? "-",
        job.state.prev?.toISOString() ?? "-",
        lastRun(job),
      ]),
    ],
  };
}

/**
 * The jobs of `key`, or why its stored value is not a valid definition. A key that is
 * not valid or does not exist is an error, as is a failure to reach NATS.
 */
async function read(
  schedule: Schedule,
  key: string,
  mask: Mask,
): Promise<JobInfo[] | InvalidEntry> {
  try {
    return (await schedule.get(key)).map(mask);
  } catch (err) {
    if (
      !(err instanceof ScheduleError) || err instanceof NotFoundError ||
      err instanceof InvalidKeyError
    ) {
      throw err;
    }
    return { key, invalid: err.message };
  }
}

function target(job: JobInfo): string {
  if (job.mode !== "HTTP") return "";
  const option = job.option as HttpOption;
  return `${option.method ?? "POST"} ${redactUrl(new URL(option.url))}`;
}

function lastRun(job: JobInfo): string {
  const run = job.state.lastRun;
  if (!run) return "-";
  return run.status ? `${run.outcome} ${run.status}` : run.outcome;
}

function earliest(jobs: JobInfo[]): string {
  let first = Infinity;
  for (const job of jobs) {
    const next = job.state.next?.getTime();
    if (next !== undefined && next < first) first = next;
  }
  return first === Infinity ? "-" : new Date(first).toISOString();
}
