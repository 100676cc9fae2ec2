/**
 * The admin commands that read or change the schedules of a namespace through the
 * client: `ls`, `get`, `set`, `rm`, `pause`, `resume`, `history`.
 *
 * @module
 */

import type { Schedule } from "../client/schedule.ts";
import type { SetOptions } from "../client/options.ts";
import { checkSet } from "../client/write.ts";
import {
  InvalidJobError,
  InvalidKeyError,
  NotFoundError,
  ScheduleError,
} from "../errors.ts";
import { redactUrl } from "../jobs/http/handler.ts";
import { maskJob } from "../jobs/job.ts";
import { parseSpec } from "../spec/spec.ts";
import type { HttpOption, Job, JobInfo, RunRecord } from "../types.ts";
import { cut, quoted } from "../_util.ts";
import type { JobFlags } from "./jobs_input.ts";
import type { Shown, View } from "./output.ts";
import { absolute, relative, span } from "./time.ts";
import { wholeNumber } from "./usage.ts";

/** A stored entry that cannot be read, with its key and the reason. */
export interface InvalidEntry {
  /** The key. */
  key: string;
  /** Why its value is not a valid definition. */
  invalid: string;
}

/** Keys longer than this are cut with `…` in tables (never in JSON or YAML). */
export const KEY_WIDTH = 40;

/** The flags of the commands that show jobs. */
export interface ShowFlags {
  /** Print header values and URL credentials instead of `***`. */
  showSecrets?: boolean;
}

/** The flags of the commands that write: who does it. */
export interface WriteFlags {
  /** Who makes the change (default `$USER`). */
  by?: string;
}

/** The flags of `set`. */
export interface SetFlags extends JobFlags, WriteFlags {
  /** Define the key paused. */
  paused?: boolean;
  /** Write only if the key is at this revision (`0`: only if it does not exist). */
  expectedRevision?: string;
}

/** The flags of `pause`. */
export interface PauseFlags extends WriteFlags {
  /** Why the key is paused. */
  note?: string;
}

/**
 * Who makes a change: `--by`, else the `USER` environment variable, if any.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writer } from "./schedule_commands.ts";
 * assert.equal(writer({ by: "alice" }), "alice");
 * ```
 */
export function writer(flags: WriteFlags): string | undefined {
  return flags.by ?? (Deno.env.get("USER") || undefined);
}

/**
 * `ls`: every key with its spec, zone, whether it is paused, next and last fire time
 * and last result; header values and URL credentials masked unless `showSecrets`.
 *
 * @example
 * ```ts ignore
 * print(await list(await Schedule.create("beta", nc), {}), {});
 * ```
 */
export async function list(
  schedule: Schedule,
  flags: ShowFlags,
): Promise<Shown> {
  const listed = await schedule.list();
  const entries = await Promise.all(
    listed.map((key) => readListed(schedule, key, flags)),
  );
  const keys = listed.filter((_, i) => entries[i] !== null);
  const infos = entries.filter((info) => info !== null);
  return {
    value: keys.map((key, i) => {
      const info = infos[i];
      return Array.isArray(info)
        ? { key, paused: info[0]?.state.paused ?? false, jobs: info }
        : info;
    }),
    rows: (view) => [
      [
        "KEY",
        "SPEC",
        "ZONE",
        "PAUSED",
        "NEXT",
        "LAST SCHEDULE",
        "LAST RESULT",
        ...view.wide ? ["JOBS"] : [],
      ],
      ...keys.map((key, i) => {
        const info = infos[i];
        return Array.isArray(info)
          ? keyRow(key, info, view)
          : [cut(key, KEY_WIDTH), "INVALID", info.invalid];
      }),
    ],
  };
}

function keyRow(key: string, jobs: JobInfo[], view: View): string[] {
  const [first] = jobs;
  const next = latest(jobs, (job) => job.state.next, -1);
  const prev = latest(jobs, (job) => job.state.prev, 1);
  const run = latest(jobs, (job) => job.state.lastRun?.startedAt ?? null, 1);
  return [
    cut(key, KEY_WIDTH),
    jobs.length > 1 ? `${first.spec} (+${jobs.length - 1})` : first.spec,
    zoneOf(first),
    String(first.state.paused),
    next ? when(next.state.next, next, view) : "-",
    prev ? when(prev.state.prev, prev, view) : "-",
    run ? result(run.state.lastRun!) : "-",
    ...view.wide ? [String(jobs.length)] : [],
  ];
}

/**
 * `get KEY`: each job of `key`; an invalid stored definition is shown with its reason
 * and makes the command fail.
 */
export async function get(
  schedule: Schedule,
  key: string,
  flags: ShowFlags,
): Promise<Shown> {
  const jobs = await read(schedule, key, flags);
  if (!Array.isArray(jobs)) {
    return {
      value: jobs,
      rows: () => [],
      failure: `${quoted(key)} holds an invalid definition: ${jobs.invalid}`,
    };
  }
  return { value: jobs, rows: (view) => jobRows(jobs, view) };
}

/** The table of `get`: a header, then a row per job. */
function jobRows(jobs: JobInfo[], view: View): string[][] {
  return [
    [
      "#",
      "MODE",
      "SPEC",
      "ZONE",
      "PAUSED",
      "TARGET",
      "NEXT",
      "LAST SCHEDULE",
      "LAST RESULT",
      ...view.wide ? ["POLICY"] : [],
    ],
    ...jobs.map((job, index) => [
      String(index),
      job.mode,
      job.spec,
      zoneOf(job),
      String(job.state.paused),
      target(job),
      when(job.state.next, job, view),
      when(job.state.prev, job, view),
      job.state.lastRun ? result(job.state.lastRun) : "-",
      ...view.wide ? [policyText(job)] : [],
    ]),
  ];
}

/**
 * The arguments of `set KEY` for `jobs` (from the flags or `--file`), paused with
 * `--paused`, checked as `Schedule.set` checks them before it reads or writes anything:
 * a `set` refused changes nothing, and creates no namespace.
 *
 * @throws {InvalidJobError} When `jobs` is empty, or as `Schedule.set`.
 */
export function setArgs(
  key: string,
  jobs: Job[],
  flags: SetFlags,
): [Job[], SetOptions] {
  if (jobs.length === 0) {
    throw new InvalidJobError(
      `${flags.file} holds no job; to delete ${quoted(key)} use \`schedule rm ${
        cut(key, 60)
      }\``,
    );
  }
  const paused = flags.paused ?? false;
  const expected = flags.expectedRevision;
  const expectedRevision = expected === undefined
    ? undefined
    : wholeNumber("--expected-revision", expected);
  const args: [Job[], SetOptions] = [jobs, {
    paused,
    expectedRevision,
    by: writer(flags),
  }];
  // The server's max_payload is checked when the set writes, as the client checks it.
  checkSet(key, args, Date.now(), { maxPayload: Infinity });
  return args;
}

/** `set KEY`: defines `key` as the jobs of `args` (see {@link setArgs}). */
export async function set(
  schedule: Schedule,
  key: string,
  args: [Job[], SetOptions],
): Promise<Shown> {
  await schedule.set(key, ...args);
  const [jobs, { paused }] = args;
  return {
    value: { key, jobs: jobs.length, paused },
    rows: () => [[
      `set ${key}: ${jobs.length} job(s)${paused ? ", paused" : ""}`,
    ]],
  };
}

/** `rm KEY`, `pause KEY [--note TEXT]`, `resume KEY`. */
export async function change(
  schedule: Schedule,
  command: "rm" | "pause" | "resume",
  key: string,
  flags: PauseFlags,
): Promise<Shown> {
  const by = writer(flags);
  if (command === "rm") {
    await schedule.remove(key, { by });
    return { value: { key, removed: true }, rows: () => [[`removed ${key}`]] };
  }
  const paused = command === "pause";
  await (paused
    ? schedule.pause(key, { note: flags.note, by })
    : schedule.resume(key, { by }));
  return {
    value: { key, paused },
    rows: () => [[`${paused ? "paused" : "resumed"} ${key}`]],
  };
}

/** `history KEY`: the last `limit` executions of `key`'s jobs, newest first. */
export async function history(
  schedule: Schedule,
  key: string,
  limit: number,
): Promise<Shown> {
  const runs = await schedule.history(key, { limit });
  const jobs = await schedule.get(key).catch((err) => {
    if (err instanceof ScheduleError) return []; // removed or invalid: times in UTC
    throw err;
  });
  return {
    value: runs,
    rows: (view) => [
      [
        "SCHEDULED",
        "JOB",
        "ATTEMPT",
        "RESULT",
        "DURATION",
        "WORKER",
        "ERROR",
      ],
      ...runs.map((run) => [
        when(run.scheduledAt, jobs[run.index], view),
        String(run.index),
        String(run.attempt),
        result(run),
        run.durationMs < 1000 ? `${run.durationMs}ms` : span(run.durationMs),
        run.worker,
        run.error ?? "",
      ]),
    ],
  };
}

/**
 * As {@link read}, for a key `ls` found: one that another tool wrote and that is no valid
 * key is shown invalid too, and one removed since it was listed is left out (`null`), so
 * that neither fails the whole listing.
 */
async function readListed(
  schedule: Schedule,
  key: string,
  flags: ShowFlags,
): Promise<JobInfo[] | InvalidEntry | null> {
  try {
    return await read(schedule, key, flags);
  } catch (err) {
    if (err instanceof InvalidKeyError) return { key, invalid: err.message };
    if (err instanceof NotFoundError) return null;
    throw err;
  }
}

/**
 * The jobs of `key`, masked unless `showSecrets`, or why its stored value is not a valid
 * definition. A key that is not valid or does not exist is an error, as is a failure to
 * reach NATS.
 */
async function read(
  schedule: Schedule,
  key: string,
  flags: ShowFlags,
): Promise<JobInfo[] | InvalidEntry> {
  try {
    const jobs = await schedule.get(key);
    return flags.showSecrets ? jobs : jobs.map(maskJob);
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

/**
 * A job's policy as `field=value` pairs (`retry.delay=1s`), `-` when it has none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { policyText } from "./schedule_commands.ts";
 * const job = { mode: "HTTP", spec: "@hourly", option: {} };
 * assert.equal(policyText({ ...job, policy: { overlap: "skip", retry: { delay: "1s" } } }),
 *   "overlap=skip retry.delay=1s");
 * assert.equal(policyText(job), "-");
 * ```
 */
export function policyText(job: Job): string {
  const pairs = Object.entries(job.policy ?? {}).flatMap(([field, value]) =>
    typeof value === "object"
      ? Object.entries(value).map(([sub, v]) => `${field}.${sub}=${v}`)
      : [`${field}=${value}`]
  );
  return pairs.length ? pairs.join(" ") : "-";
}

/** The zone a job's spec is read in. */
export function zoneOf(job: Job): string {
  return parseSpec(job.spec, job.tz).timeZone ?? "UTC";
}

/** A time of `job` as the view shows it: relative, or absolute in the job's zone. */
function when(date: Date | null, job: JobInfo | undefined, view: View): string {
  if (date === null) return "-";
  return view.absolute
    ? absolute(date, job ? zoneOf(job) : undefined)
    : relative(date, view.now);
}

/** The job whose `time` is the earliest (`order` -1) or latest (1), if any has one. */
function latest(
  jobs: JobInfo[],
  time: (job: JobInfo) => Date | null,
  order: 1 | -1,
): JobInfo | undefined {
  let found: JobInfo | undefined;
  for (const job of jobs) {
    const t = time(job)?.getTime();
    if (t === undefined) continue;
    if (!found || (t - time(found)!.getTime()) * order > 0) found = job;
  }
  return found;
}

/** What an HTTP job calls, its URL's credentials masked. */
export function target(job: Job): string {
  if (job.mode !== "HTTP") return "";
  const option = job.option as HttpOption;
  return `${option.method ?? "POST"} ${redactUrl(new URL(option.url))}`;
}

/** How a run ended: its outcome, and its HTTP status if any. */
export function result(run: RunRecord): string {
  return run.status ? `${run.outcome} ${run.status}` : run.outcome;
}
