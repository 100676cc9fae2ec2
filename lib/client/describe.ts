/**
 * What {@link Schedule.revisions} and {@link Schedule.describe} return, and how they are
 * made from what the bucket and the streams keep.
 *
 * @module
 */

import type { KvEntry } from "@nats-io/kv";
import {
  type CompiledDefinition,
  decodeDefinition,
  decodeRunRecord,
  decodeTick,
  definedRevision,
  ofDefinition,
} from "../wire/mod.ts";
import { NotFoundError, ScheduleError } from "../errors.ts";
import { validateKey } from "../nats/names.ts";
import { quoted } from "../_util.ts";
import type { Spec } from "../spec/spec.ts";
import {
  countTicks,
  firstRunAfter,
  nextTick,
  tickBounds,
} from "../spec/ticks.ts";
import type {
  Definition,
  Job,
  JobPolicy,
  PauseNote,
  RunRecord,
  Tick,
} from "../types.ts";
import {
  type Client,
  namespaceOf,
  readDefinition,
  readStream,
} from "./_util.ts";
import { BY_HEADER } from "./write.ts";

/** What a write to a key did: define it, pause it, resume it, or remove it. */
export type RevisionOperation = "set" | "pause" | "resume" | "remove";

/**
 * One write to a key, as the definitions bucket keeps it (see {@link Schedule.revisions}).
 *
 * @example
 * ```ts
 * import type { Revision } from "@x/schedule";
 * const show = (r: Revision) => `${r.revision} ${r.operation} by ${r.by ?? "?"}`;
 * ```
 */
export interface Revision {
  /** The KV revision of the write. */
  revision: number;
  /** When the server stored it. */
  at: Date;
  /** What it did. */
  operation: RevisionOperation;
  /** Who did it, when the caller said. */
  by?: string;
  /** The pause note, for a pause. */
  note?: string;
  /** The definition written; absent for a remove, or a value that is not a definition. */
  definition?: Definition;
}

/**
 * One job of a key as {@link Schedule.describe} shows it.
 *
 * @example
 * ```ts
 * import type { JobDescription } from "@x/schedule";
 * const failing = (job: JobDescription) => job.counts.failed > job.counts.succeeded;
 * ```
 */
export interface JobDescription extends Job {
  /** The job's position in its definition. */
  index: number;
  /** The next fire times by the tick rule (up to 10); none while paused. */
  next: Date[];
  /** The 10 most recent run records of this definition, newest first. */
  recent: RunRecord[];
  /**
   * Ticks under way: those whose last record is a `retry`, waiting for their next
   * attempt. A first attempt that has not ended yet is not shown: workers record an
   * attempt when it ends.
   */
  running: RunRecord[];
  /** Counts over what the job stream and the run history keep of this definition. */
  counts: JobCounts;
}

/**
 * Counters of one job over what the streams keep (the job stream 24 h, the run history
 * 7 days and 100 records per job, by default): older ticks and runs are not counted.
 *
 * @example
 * ```ts
 * import type { JobCounts } from "@x/schedule";
 * const counts: JobCounts = { fired: 3, succeeded: 2, failed: 1, skipped: 0 };
 * ```
 */
export interface JobCounts {
  /** Ticks in the job stream, whatever made them (spec, trigger, backfill). */
  fired: number;
  /** Ticks whose run succeeded. */
  succeeded: number;
  /** Ticks whose run failed for good. */
  failed: number;
  /** Ticks a worker skipped (its overlap policy). */
  skipped: number;
  /**
   * With `maxRuns`: how many scheduled ticks are left, `maxRuns` less the ticks the rule
   * gave since the definition was stored (its `set`, `pause` or `resume`; see "start,
   * end and maxRuns: what counts"), as the nodes count them; while paused, `maxRuns`,
   * where a `resume` starts.
   */
  remaining?: number;
}

/**
 * A key as {@link Schedule.describe} shows it: its state, its history in the bucket and
 * each job's times, runs and counts.
 *
 * @example
 * ```ts ignore
 * const d: Description = await schedule.describe("report");
 * console.log(d.revision, d.paused, d.jobs[0].next[0]);
 * ```
 */
export interface Description {
  /** The schedule's key. */
  key: string;
  /** The KV revision of the last write: the one to give `set` as `expectedRevision`. */
  revision: number;
  /** Whether the key is paused. */
  paused: boolean;
  /** Why, since when and by whom it is paused, when it is and a note was kept. */
  pause?: PauseNote;
  /**
   * When it was defined: its first revision since it was last removed, among those the
   * bucket keeps (64 for namespaces created since run governance, 5 before).
   */
  created: Date;
  /** When it was last written (set, pause or resume). */
  updated: Date;
  /** Who wrote the last revision, when the caller said. */
  by?: string;
  /** Each job. */
  jobs: JobDescription[];
}

/**
 * What a write did, from its value: a definition without `revision` is a `set` (pause
 * and resume keep the revision of the set they change), else a pause or a resume.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { operationOf } from "./describe.ts";
 * const definition = { jobs: [], anchor: new Date(), paused: true };
 * assert.equal(operationOf(definition), "set");
 * assert.equal(operationOf({ ...definition, revision: 3 }), "pause");
 * ```
 */
export function operationOf(definition: Definition): RevisionOperation {
  if (definition.revision === undefined) return "set";
  return definition.paused ? "pause" : "resume";
}

/**
 * Counts, recent runs and runs under way of one job from its ticks and run records
 * (oldest first, of the current definition).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summarizeRuns } from "./describe.ts";
 * const run = {
 *   key: "k", index: 0, scheduledAt: new Date(0), attempt: 1, startedAt: new Date(0),
 *   durationMs: 5, outcome: "retry" as const, worker: "w",
 * };
 * const summary = summarizeRuns([], [run]);
 * assert.equal(summary.running.length, 1);
 * assert.equal(summary.counts.fired, 0);
 * ```
 */
export function summarizeRuns(
  ticks: Tick[],
  runs: RunRecord[],
  remaining?: number,
): Pick<JobDescription, "recent" | "running" | "counts"> {
  const last = new Map<number, RunRecord>();
  for (const run of runs) last.set(run.scheduledAt.getTime(), run);
  const ended = [...last.values()];
  const count = (outcome: RunRecord["outcome"]) =>
    ended.filter((run) => run.outcome === outcome).length;
  const counts: JobCounts = {
    fired: ticks.length,
    succeeded: count("success"),
    failed: count("failed"),
    skipped: count("skipped"),
  };
  if (remaining !== undefined) counts.remaining = remaining;
  return {
    recent: runs.slice(-10).reverse(),
    running: ended.filter((run) => run.outcome === "retry").reverse(),
    counts,
  };
}

/** Everything known of `key` (see `Schedule.describe`). */
export async function describeKey(
  client: Client,
  key: string,
): Promise<Description> {
  const compiled = await readDefinition(client, key);
  const { entry, definition } = compiled;
  const history = await keyRevisions(client, key);
  const life = history.findIndex((r) => r.operation === "remove");
  const first = history[(life === -1 ? history.length : life) - 1];
  return {
    key,
    revision: entry.revision,
    paused: definition.paused,
    ...(definition.pause === undefined ? {} : { pause: definition.pause }),
    created: first?.at ?? entry.created,
    updated: entry.created,
    ...(definition.by === undefined ? {} : { by: definition.by }),
    jobs: await describeJobs(client, key, compiled),
  };
}

/** Each job of the definition of `key`: its next times, runs and counts. */
async function describeJobs(
  client: Client,
  key: string,
  { entry, definition, specs }: CompiledDefinition & { entry: KvEntry },
): Promise<JobDescription[]> {
  const revision = definedRevision(definition, entry.revision);
  const now = Date.now();
  const { names } = client.namespace;
  const runs: RunRecord[][] = definition.jobs.map(() => []);
  for await (
    const run of readStream(
      client,
      names.runStream,
      names.runSubjectsOf(key),
      decodeRunRecord,
    )
  ) if (ofDefinition(run, revision)) runs[run.index]?.push(run);
  return await Promise.all(definition.jobs.map(async (job, index) => {
    const ticks: Tick[] = [];
    for await (
      const tick of readStream(
        client,
        names.jobStream,
        names.jobSubject(key, index),
        decodeTick,
      )
    ) if (ofDefinition(tick, revision)) ticks.push(tick);
    return {
      ...job,
      index,
      next: definition.paused ? [] : nextTimes(
        specs[index],
        definition,
        entry.created.getTime(),
        now,
        job.policy,
      ),
      ...summarizeRuns(
        ticks,
        runs[index],
        remainingRuns(
          specs[index],
          definition,
          entry.created.getTime(),
          now,
          job.policy,
        ),
      ),
    };
  }));
}

/**
 * The runs left of a job's `maxRuns` at `now`: less the ticks the rule gave since
 * `definedAt`, as the nodes number them (none while paused); `undefined` without
 * `maxRuns`.
 */
function remainingRuns(
  spec: Spec,
  definition: Definition,
  definedAt: number,
  now: number,
  policy: JobPolicy | undefined,
): number | undefined {
  const maxRuns = policy?.maxRuns;
  if (maxRuns === undefined || definition.paused) return maxRuns;
  const given = countTicks(
    spec,
    definition,
    definedAt,
    now,
    maxRuns,
    tickBounds(policy),
  );
  return maxRuns - given;
}

/** The writes to `key` the bucket keeps, newest first. */
export async function keyRevisions(
  client: Client,
  key: string,
): Promise<Revision[]> {
  validateKey(key);
  const entries: KvEntry[] = [];
  for await (const entry of await client.namespace.kv.history({ key })) {
    entries.push(entry);
  }
  if (entries.length === 0) {
    throw new NotFoundError(
      `no schedule ${quoted(key)} in namespace ${namespaceOf(client)}`,
    );
  }
  return await Promise.all(
    entries.reverse().map((entry) => revisionOf(client, entry)),
  );
}

/** The write an entry of the bucket's history of a key is. */
async function revisionOf(client: Client, entry: KvEntry): Promise<Revision> {
  const { revision, created: at } = entry;
  if (entry.operation !== "PUT") {
    const { jsm, names } = client.namespace;
    const stored = await jsm.streams.getMessage(`KV_${names.bucket}`, {
      seq: revision,
    });
    const by = stored?.header?.get(BY_HEADER) || undefined;
    return { revision, at, operation: "remove", ...by && { by } };
  }
  let definition: Definition;
  try {
    definition = decodeDefinition(entry.value, client.compile).definition;
  } catch (err) {
    if (!(err instanceof ScheduleError)) throw err;
    return { revision, at, operation: "set" };
  }
  const operation = operationOf(definition);
  const note = operation === "pause" ? definition.pause?.note : undefined;
  return {
    revision,
    at,
    operation,
    ...definition.by !== undefined && { by: definition.by },
    ...note !== undefined && { note },
    definition,
  };
}

/** The next fire times of a job after `now` by the tick rule and its policy, up to 10. */
function nextTimes(
  spec: Spec,
  definition: Definition,
  definedAt: number,
  now: number,
  policy: JobPolicy | undefined,
): Date[] {
  const times: Date[] = [];
  const bounds = tickBounds(policy);
  const anchor = definition.anchor.getTime();
  const first = firstRunAfter(spec, definition, definedAt, now, bounds);
  let run = first?.run ?? 0;
  for (
    let tick = first?.at ?? null;
    tick !== null && times.length < 10;
    tick = nextTick(spec, anchor, tick, run++, bounds)
  ) times.push(new Date(tick));
  return times;
}
