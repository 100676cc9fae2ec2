/**
 * The admin commands of run governance: `trigger`, `backfill`, `describe`, `revisions`
 * and `events`.
 *
 * @module
 */

import type { Schedule } from "../client/schedule.ts";
import type {
  Description,
  JobCounts,
  JobDescription,
  Revision,
} from "../client/describe.ts";
import { maskJob } from "../jobs/job.ts";
import { parseDuration } from "../spec/duration.ts";
import type { RunRecord, ScheduleEvent } from "../types.ts";
import { timeOf } from "../_util.ts";
import { type OutputFlags, type Shown, type View, yamlOf } from "./output.ts";
import {
  policyText,
  result,
  type ShowFlags,
  target,
  type WriteFlags,
  writer,
  zoneOf,
} from "./schedule_commands.ts";
import { table } from "./table.ts";
import { triggerOf } from "../wire/mod.ts";
import { absolute, relative, span } from "./time.ts";
import { UsageError, wholeNumber } from "./usage.ts";

/** The flags of `trigger` and `backfill`. */
export interface FireFlags extends WriteFlags {
  /** The job's position. */
  index?: string;
  /** The first time of a backfill. */
  from?: string;
  /** The last time of a backfill. */
  to?: string;
}

/** `trigger KEY [--index N]`: runs a job now. */
export async function trigger(
  schedule: Schedule,
  key: string,
  flags: FireFlags,
): Promise<Shown> {
  const index = position(flags.index) ?? 0;
  const tick = await schedule.trigger(key, { index, by: writer(flags) });
  return {
    value: { key, index, scheduledAt: tick.scheduledAt, trigger: tick.trigger },
    rows: () => [[
      `triggered ${key} job ${index} at ${tick.scheduledAt.toISOString()}`,
    ]],
  };
}

/** `backfill KEY --from T --to T [--index N]`: fires the ticks of a past range. */
export async function backfill(
  schedule: Schedule,
  key: string,
  flags: FireFlags,
): Promise<Shown> {
  if (flags.from === undefined || flags.to === undefined) {
    throw new UsageError("backfill needs --from and --to");
  }
  const now = Date.now();
  const from = time("--from", flags.from, now);
  const to = time("--to", flags.to, now);
  const index = position(flags.index);
  const fired = await schedule.backfill(key, {
    from,
    to,
    index,
    by: writer(flags),
  });
  return {
    value: { key, index, from, to, fired },
    rows: () => [[
      `backfilled ${key}: ${fired} tick(s) from ${from.toISOString()} to ${to.toISOString()}`,
    ]],
  };
}

/**
 * A time of `--from` or `--to`: ISO 8601, `now`, or `now-<duration>` (`now-2h`).
 *
 * @throws {UsageError} When it is none of them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { time } from "./governance_commands.ts";
 * assert.equal(time("--from", "now-1m", 120_000).getTime(), 60_000);
 * assert.equal(time("--to", "1970-01-01T00:00:01Z", 0).getTime(), 1000);
 * ```
 */
export function time(flag: string, text: string, now: number): Date {
  const ago = /^now(?:-(.+))?$/.exec(text);
  let at = NaN;
  try {
    at = ago ? now - (ago[1] ? parseDuration(ago[1]) : 0) : timeOf(text);
  } catch { /* reported below */ }
  if (isNaN(at)) {
    throw new UsageError(
      `${flag} takes an ISO 8601 time, now or now-<duration> (now-2h), not ${text}`,
    );
  }
  return new Date(at);
}

/** `describe KEY`: everything known of a key, in sections. */
export async function describe(
  schedule: Schedule,
  key: string,
  flags: ShowFlags,
): Promise<Shown> {
  const described = await schedule.describe(key);
  const shown: Description = flags.showSecrets
    ? described
    : { ...described, jobs: described.jobs.map(maskJob) };
  return {
    value: shown,
    rows: () => [],
    lines: (view) => sections(shown, view),
  };
}

function sections(d: Description, view: View): string[] {
  const at = (date: Date, zone?: string) =>
    `${absolute(date, zone)} (${relative(date, view.now)})`;
  const lines = [
    `Key:        ${d.key}`,
    `Revision:   ${d.revision}`,
    `Created:    ${at(d.created)}`,
    `Updated:    ${at(d.updated)}${d.by ? ` by ${d.by}` : ""}`,
    `Paused:     ${d.paused}`,
  ];
  if (d.paused && d.pause) {
    lines.push(`  Since:    ${at(new Date(d.pause.at))}`);
    if (d.pause.by) lines.push(`  By:       ${d.pause.by}`);
    if (d.pause.note) lines.push(`  Note:     ${d.pause.note}`);
  }
  for (const job of d.jobs) lines.push(...jobSection(job, view, at));
  return lines;
}

/** The lines of one job in `describe`. */
function jobSection(
  job: JobDescription,
  view: View,
  at: (date: Date, zone?: string) => string,
): string[] {
  const zone = zoneOf(job);
  return [
    `Job ${job.index}:`,
    `  Mode:     ${job.mode}`,
    `  Spec:     ${job.spec}`,
    `  Zone:     ${zone}`,
    ...job.mode === "HTTP" ? [`  Target:   ${target(job)}`] : [],
    `  Policy:   ${policyText(job)}`,
    `  Counts:   ${countsText(job.counts)} (over what the streams keep)`,
    `  Next:${job.next.length === 0 ? "     <none>" : ""}`,
    ...job.next.map((date) => `    ${at(date, zone)}`),
    `  Running:${job.running.length === 0 ? "  <none>" : ""}`,
    ...job.running.map((run) =>
      `    ${at(run.scheduledAt, zone)} attempt ${run.attempt} waiting to retry`
    ),
    `  Recent runs:${job.recent.length === 0 ? " <none>" : ""}`,
    ...recentRuns(job.recent, view, zone),
  ];
}

/** The counters of a job, in words. */
function countsText(
  { fired, succeeded, failed, skipped, remaining }: JobCounts,
): string {
  return `fired ${fired}, succeeded ${succeeded}, failed ${failed}, ` +
    `skipped ${skipped}${
      remaining === undefined ? "" : `, remaining ${remaining}`
    }`;
}

/** The recent runs of a job as an indented table; none when there are none. */
function recentRuns(recent: RunRecord[], view: View, zone: string): string[] {
  if (recent.length === 0) return [];
  const rows = [
    ["SCHEDULED", "TRIGGER", "ATTEMPT", "RESULT", "DURATION", "ERROR"],
    ...recent.map((run) => [
      view.absolute
        ? absolute(run.scheduledAt, zone)
        : relative(run.scheduledAt, view.now),
      triggerOf(run),
      String(run.attempt),
      result(run),
      duration(run),
      run.error ?? "",
    ]),
  ];
  return table(rows).map((line) => `    ${line}`);
}

/**
 * `revisions KEY`: the writes the bucket keeps, newest first; the jobs each defined masked
 * unless `showSecrets`.
 */
export async function revisions(
  schedule: Schedule,
  key: string,
  flags: ShowFlags,
): Promise<Shown> {
  const list: Revision[] = [];
  for await (const revision of schedule.revisions(key)) {
    list.push(flags.showSecrets ? revision : maskRevision(revision));
  }
  return {
    value: list,
    rows: (view) => [
      ["REVISION", "AT", "OPERATION", "BY", "NOTE"],
      ...list.map((r) => [
        String(r.revision),
        view.absolute ? absolute(r.at) : relative(r.at, view.now),
        r.operation,
        r.by ?? "",
        r.note ?? "",
      ]),
    ],
  };
}

/** The revision with the secrets of the jobs it defined masked (see `maskJob`). */
function maskRevision(revision: Revision): Revision {
  const { definition } = revision;
  return definition === undefined ? revision : {
    ...revision,
    definition: { ...definition, jobs: definition.jobs.map(maskJob) },
  };
}

/**
 * `events`: prints each event of the namespace as it happens until `signal` aborts, one
 * line each (`-o json`: one JSON object per line).
 */
export async function follow(
  schedule: Schedule,
  flags: OutputFlags,
  signal: AbortSignal,
  write: (line: string) => void = console.log,
): Promise<void> {
  const format = flags.json ? "json" : flags.output;
  for await (const event of schedule.events({ signal })) {
    write(
      format === "json"
        ? JSON.stringify(event)
        : format === "yaml"
        ? `---\n${yamlOf(event)}`
        : eventLine(event),
    );
  }
}

function eventLine(event: ScheduleEvent): string {
  const { type, at, key, index, by, detail, count, scheduledAt } = event;
  const what = [
    key === undefined ? "" : index === undefined ? key : `${key}#${index}`,
    by === undefined ? "" : `by=${by}`,
    count === undefined ? "" : `count=${count}`,
    scheduledAt === undefined ? "" : `scheduled=${scheduledAt.toISOString()}`,
    detail ?? "",
  ].filter(Boolean);
  return [at.toISOString(), type, ...what].join("  ");
}

/** A job position given to `--index`. */
function position(text: string | undefined): number | undefined {
  return text === undefined ? undefined : wholeNumber("--index", text);
}

function duration(run: RunRecord): string {
  return run.durationMs < 1000 ? `${run.durationMs}ms` : span(run.durationMs);
}
