/**
 * What a node starting up knows of the ticks already in the job queue: the last tick of
 * each job, and so the ticks no node published while it was down.
 *
 * @module
 */

import type { StreamSender } from "../nats/stream_sender.ts";
import { decodeOrNull, type Namespace } from "../nats/namespace.ts";
import type { Spec } from "../spec/spec.ts";
import {
  countTicks,
  firstRunAfter,
  type TickBounds,
  UNBOUNDED,
} from "../spec/ticks.ts";
import type { Logger } from "../ops/log.ts";
import type { Definition, ScheduleEvent } from "../types.ts";
import { CodecError } from "../errors.ts";
import type { NamespaceNames } from "../nats/names.ts";
import { specTickAt } from "../wire/mod.ts";
import { KeyMap } from "./key_map.ts";
import type { JobRules } from "./rule.ts";
import type { Loading } from "./schedule_job.ts";
import type { Settled } from "./settled.ts";
import type { NodeMetrics } from "./types.ts";
import { pool } from "./_util.ts";

/** The most missed ticks counted one by one for one job at one time. */
export const MISSED_COUNT_LIMIT = 1000;

/**
 * The oldest nodes' record a start goes by, in ms: older, too many jobs would have ticks
 * after it, and the whole queue is read instead.
 */
export const SETTLED_RECENT = 600_000;

/** How many last ticks are read at once, each a direct get. */
export const READ_AHEAD = 1024;

/**
 * How many jobs' ticks are read at once when a job's last message is not a tick of its
 * spec, each with a consumer of its own.
 */
export const SUBJECT_READS = 16;

/**
 * Reads the scheduled time of the last tick of job `index` of `key`: `undefined` when it
 * has none, `null` when its last message is not a tick of its spec (`manual`, `backfill`,
 * or written by someone else).
 */
export type LastTick = (
  key: string,
  index: number,
) => Promise<number | null | undefined>;

/** Reads the latest scheduled time of the ticks of the spec of job `index` of `key`. */
export type LastSpecTick = (
  key: string,
  index: number,
) => Promise<number | undefined>;

/** The scheduled times of the last ticks of the jobs of a key, at the jobs' indexes. */
export interface LastTicks {
  readonly key: string;
  readonly times: (number | undefined)[];
}

/**
 * An empty map of {@link LastTicks} by key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lastTicks } from "./catch_up.ts";
 * const last = lastTicks();
 * last.set({ key: "k", times: [10_000] });
 * assert.equal(last.get("k")?.times[0], 10_000);
 * ```
 */
export function lastTicks(): KeyMap<LastTicks> {
  return new KeyMap((ticks: LastTicks) => ticks.key);
}

/** One job of a definition: its key and its index. */
interface JobRef {
  key: string;
  index: number;
}

/** One job of a definition loaded at start, as {@link CatchUp.missed} reads it. */
export interface LoadedJob {
  spec: Spec;
  definition: Definition;
  /** When the definition was stored (the KV revision's timestamp), in epoch ms. */
  definedAt: number;
  /** The job's `start`, `end` and `maxRuns` (default: none). */
  bounds?: TickBounds;
  /** The scheduled time of the job's last tick in the queue, if any. */
  last: number | undefined;
  /** The oldest tick still published (now minus `catchup`), in epoch ms. */
  floor: number;
  /** The current time, in epoch ms. */
  now: number;
}

/** Ticks of one job that no node published within `catchup`. */
export interface Missed {
  /** How many, at most {@link MISSED_COUNT_LIMIT}. */
  count: number;
  /** They fell after this time (epoch ms) and at or before the `floor`. */
  since: number;
  /** The first of them (epoch ms). */
  first: number;
}

/**
 * The last tick of each job in the queue, read once at start: of every job, with one pass
 * over the job stream; or, from the nodes' record of the ticks they settled (see
 * `settled.ts`), only of the jobs that may have a tick after it, one direct get each,
 * once their definitions are loaded ({@link defers}). Jobs are found by their key and
 * index, in a {@link KeyMap}, where a subject would be one more string to build and hash
 * per job (a million at start).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CatchUp, lastTicks } from "./catch_up.ts";
 * import { parseSpec } from "../spec/spec.ts";
 *
 * const last = lastTicks();
 * last.set({ key: "k", times: [10_000] });
 * const catchUp = new CatchUp(last, 0);
 * const definition = { jobs: [], anchor: new Date(0), paused: false };
 * const spec = parseSpec("@every 1s");
 * const missed = catchUp.missed({
 *   spec, definition, definedAt: 0, last: catchUp.last("k", 0), floor: 15_000, now: 75_000,
 * });
 * assert.deepEqual(missed, { count: 5, since: 10_000, first: 11_000 });
 * ```
 */
export class CatchUp {
  readonly #last: KeyMap<LastTicks>;
  readonly #maxAge: number;
  readonly #settled: Settled | undefined;
  /** Whether the jobs with ticks after the record are still to be read. */
  #open: boolean;

  /**
   * @param last The scheduled time of the last tick of each job, in epoch ms, by key and
   * at the job's index.
   * @param maxAge How long the job stream keeps ticks, in ms (0: for ever).
   * @param settled The nodes' record: the last ticks are then read job by job.
   */
  constructor(
    last: KeyMap<LastTicks>,
    maxAge: number,
    settled?: Settled,
  ) {
    this.#last = last;
    this.#maxAge = maxAge;
    this.#settled = settled;
    this.#open = settled !== undefined;
  }

  /**
   * Where the last ticks come from: the nodes' record (and the jobs due since, read one
   * by one), or one pass over the job stream.
   */
  get source(): "record" | "job stream" {
    return this.#settled ? "record" : "job stream";
  }

  /**
   * From the nodes' record when it is of this `bucket` and at most {@link SETTLED_RECENT}
   * old at `now`; else by reading the whole queue.
   */
  static open(
    namespace: Namespace,
    bucket: string,
    settled: Settled | null,
    now: number,
  ): Promise<CatchUp> {
    if (
      settled === null || settled.bucket !== bucket ||
      settled.through < now - SETTLED_RECENT
    ) return CatchUp.read(namespace);
    const maxAge = namespace.jobStream.config.max_age / 1e6;
    return Promise.resolve(new CatchUp(lastTicks(), maxAge, settled));
  }

  /**
   * Reads the last tick of each job subject, with one pass over the job stream; of a job
   * whose last message is not a tick of the spec (`manual`, `backfill`, or written by
   * someone else), its last tick of the spec ({@link lastSpecTickIn}).
   */
  static async read(namespace: Namespace): Promise<CatchUp> {
    const { names } = namespace;
    const last = lastTicks();
    const others: JobRef[] = [];
    // Only each tick's subject and time: decoding whole ticks took 6.4 s of a million.
    const ticks = namespace.read(
      names.jobStream,
      names.jobSubjects,
      (bytes, subject) => lastTick(names, bytes, subject),
      { lastPerSubject: true },
    );
    for await (const { key, index, at } of ticks) {
      if (at === null) others.push({ key, index });
      else setLast(last, key, index, at);
    }
    const catchUp = new CatchUp(last, namespace.jobStream.config.max_age / 1e6);
    await catchUp.#readSpec(
      others,
      lastSpecTickIn(namespace),
    );
    return catchUp;
  }

  /**
   * Whether the jobs of `loading` wait for their last ticks to be read ({@link readLast})
   * before they are queued: going by the nodes' record, when the definition is newer than
   * it, or a job has a tick due after it (less the job's jitter) and by `loading.now`.
   */
  defers(loading: Loading, rules: JobRules): boolean {
    const settled = this.#settled;
    if (!this.#open || !settled) return false;
    if (loading.bucketRevision > settled.revision) return true;
    const { key, definition, specs, definedAt, now } = loading;
    return definition.jobs.some((job, index) => {
      const { jitter, bounds } = rules.of(job.policy, key, index);
      const after = settled.through - jitter;
      const first = firstRunAfter(
        specs[index],
        definition,
        definedAt,
        after,
        bounds,
      );
      return first !== null && first.at <= now;
    });
  }

  /**
   * Reads the last ticks of `jobs`, {@link READ_AHEAD} at a time, and through `lastSpec`
   * those of the jobs whose last message is not a tick of their spec; then nothing defers.
   */
  async readLast(
    jobs: readonly JobRef[],
    lastTick: LastTick,
    lastSpec: LastSpecTick,
  ): Promise<void> {
    const others: JobRef[] = [];
    await pool(jobs, READ_AHEAD, async ({ key, index }) => {
      const at = await lastTick(key, index);
      if (at === null) others.push({ key, index });
      else setLast(this.#last, key, index, at);
    });
    await this.#readSpec(others, lastSpec);
    this.#open = false;
  }

  /** Reads the last ticks of the spec of `jobs`, {@link SUBJECT_READS} at a time. */
  async #readSpec(
    jobs: readonly JobRef[],
    lastSpec: LastSpecTick,
  ): Promise<void> {
    await pool(jobs, SUBJECT_READS, async ({ key, index }) => {
      setLast(this.#last, key, index, await lastSpec(key, index));
    });
  }

  /**
   * The scheduled time of the last tick of job `index` of `key` in the queue, if any; of
   * a definition the nodes' record covers (its bucket `revision` at most the record's),
   * at least the record's time less the job's `jitter`: what came before was settled.
   */
  last(
    key: string,
    index: number,
    revision = Infinity,
    jitter = 0,
  ): number | undefined {
    const stored = this.#last.get(key)?.times[index];
    const settled = this.#settled;
    if (!settled || revision > settled.revision) return stored;
    return Math.max(stored ?? -Infinity, settled.through - jitter);
  }

  /**
   * The ticks at or before `floor` that no node published: those after the job's last
   * tick in the queue; with none there, those since the definition that the queue would
   * still hold (scheduled less than its `max_age` ago: the last tick of a daily job, say,
   * may have aged out, not the one due in an outage); none outside the job's bounds.
   * `null` when there are none.
   */
  missed(job: LoadedJob): Missed | null {
    const { spec, definition, definedAt, last, floor, now } = job;
    const bounds = job.bounds ?? UNBOUNDED;
    const since = last ??
      (this.#maxAge === 0
        ? definedAt
        : Math.max(definedAt, now - this.#maxAge));
    if (since >= floor) return null;
    const first = firstRunAfter(spec, definition, definedAt, since, bounds);
    if (first === null || first.at > floor) return null;
    const left = bounds.maxRuns - first.run + 1; // Infinity without maxRuns
    const count = countTicks(
      spec,
      definition,
      first.at - 1,
      floor,
      Math.min(MISSED_COUNT_LIMIT, left),
      bounds,
    );
    return { count, since, first: first.at };
  }
}

/** Where {@link countMissed} reports. */
export interface MissedReport {
  /** The node's counters, updated in place. */
  metrics: NodeMetrics;
  log: Logger;
  /** Publishes the `missed` event. */
  onEvent: (event: ScheduleEvent) => void;
}

/** Job `index` of the definition at `key`, loaded at start. */
export interface KeyedJob extends LoadedJob {
  key: string;
  index: number;
}

/**
 * At start, logs, counts and reports the ticks of a job that no node published (as
 * {@link CatchUp.missed} finds them; none without `catchUp`).
 */
export function countMissed(
  catchUp: CatchUp | undefined,
  job: KeyedJob,
  report: MissedReport,
): void {
  const missed = catchUp?.missed(job);
  if (!missed) return;
  const { metrics, log, onEvent } = report;
  const { key, index, floor, now } = job;
  const { count, since, first } = missed;
  metrics.missed += count;
  const reason = "no node published them within catchup";
  log.warn("ticks missed", {
    key,
    index,
    count: count === MISSED_COUNT_LIMIT ? `${count}+` : count,
    after: new Date(since).toISOString(),
    before: new Date(floor).toISOString(),
    reason,
  });
  onEvent({
    type: "missed",
    at: new Date(now),
    key,
    index,
    scheduledAt: new Date(first),
    until: new Date(floor),
    count,
    detail: reason,
  });
}

/** Reads the last tick of a job with a direct get through `stream`. */
export function lastTickThrough(
  stream: Pick<StreamSender, "last">,
  names: NamespaceNames,
): LastTick {
  return async (key, index) => {
    const msg = await stream.last(names.jobSubject(key, index));
    return msg === null ? undefined : decodeOrNull(msg.data, specTickAt);
  };
}

/**
 * Reads the latest scheduled time of a job among its ticks of the spec in the job stream
 * of `namespace`, one by one: a `manual` or `backfill` tick stored after them has a time
 * of its own (a backfilled one, an older one), which would hide ticks no node sent or
 * count sent ones missed; a message someone else wrote has none.
 */
export function lastSpecTickIn(namespace: Namespace): LastSpecTick {
  const { names } = namespace;
  return async (key, index) => {
    let last: number | undefined;
    const ticks = namespace.read(
      names.jobStream,
      names.jobSubject(key, index),
      specTickAt,
    );
    for await (const at of ticks) last = Math.max(at, last ?? at);
    return last;
  };
}

function setLast(
  last: KeyMap<LastTicks>,
  key: string,
  index: number,
  at: number | undefined,
): void {
  let ticks = last.get(key);
  // Sized to the index: an array pushed to would have room for 17.
  if (!ticks) last.set(ticks = { key, times: new Array(index + 1) });
  ticks.times[index] = at;
}

/**
 * The job of the tick on `subject`, and its scheduled time: `null` when it is not a tick
 * of the spec.
 */
function lastTick(names: NamespaceNames, bytes: Uint8Array, subject: string) {
  const job = names.jobOf(subject);
  if (job === null) throw new CodecError(`not a job subject: ${subject}`);
  return { ...job, at: decodeOrNull(bytes, specTickAt) };
}
