/**
 * The types shared by the client, the publisher node and the worker.
 *
 * @module
 */

/** The two kinds of long-running process: a publisher node, or a worker. */
export type Role = "node" | "worker";

/** HTTP methods an {@link HttpOption} may use. */
export type HttpMethod =
  | "GET"
  | "POST"
  | "PUT"
  | "PATCH"
  | "DELETE"
  | "HEAD"
  | "OPTIONS";

/**
 * What an `HTTP` job calls: the worker sends `body` as JSON to `url`.
 *
 * @example
 * ```ts
 * import type { HttpOption } from "@x/schedule";
 * const option: HttpOption = {
 *   url: "https://api.example.com/hook",
 *   method: "POST",
 *   headers: { "x-token": "abc" },
 *   body: { name: "demo" },
 *   timeout: "10s",
 * };
 * ```
 */
export interface HttpOption {
  /** An absolute `http:` or `https:` URL. */
  url: string;
  /** The method; `POST` when left out. */
  method?: HttpMethod;
  /**
   * Request headers. Values are never logged nor printed by default, but they travel
   * through NATS: for a secret, use `secretHeaders`.
   */
  headers?: Record<string, string>;
  /**
   * Headers whose values only workers know: header name → secret name. The worker reads
   * secret `api-token` from `SCHEDULE_SECRET_API_TOKEN`, else from the file `api-token`
   * of its `secretsDir`; NATS holds the name only.
   */
  secretHeaders?: Record<string, string>;
  /** Any JSON value, sent as the request body. */
  body?: unknown;
  /** Per-request timeout as a Go duration (`30s`); the worker's default when left out. */
  timeout?: string;
}

/**
 * What happens to a tick whose job is still running from an earlier tick, anywhere in the
 * namespace: `allow` runs both; `skip` drops the new tick (recorded); `buffer` keeps at
 * most one waiting and starts it when the running one ends; `cancel` aborts the running
 * call and starts the new one.
 */
export type OverlapPolicy = "allow" | "skip" | "buffer" | "cancel";

/**
 * Which late ticks are still fired after downtime: `all` (inside the window, oldest
 * first), `latest` (only the most recent), `none`.
 */
export type CatchupPolicy = "all" | "latest" | "none";

/**
 * How a job's ticks are governed. Every field is optional; the defaults are today's
 * behaviour (see the README's run governance table).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { JobPolicy } from "@x/schedule";
 * const policy: JobPolicy = { overlap: "skip", catchup: "latest", jitter: "30s" };
 * assert.equal(policy.overlap, "skip");
 * ```
 */
export interface JobPolicy {
  /**
   * Runs of one job at once, across all workers.
   *
   * @default {"allow"}
   */
  overlap?: OverlapPolicy;
  /**
   * Late ticks fired after downtime.
   *
   * @default {"all"}
   */
  catchup?: CatchupPolicy;
  /** How late a tick may still be fired (Go duration); the node's setting when unset. */
  catchupWindow?: string;
  /** A delay in [0, jitter) added to each tick, the same on every node (Go duration). */
  jitter?: string;
  /** No tick before this time. */
  start?: Date | string;
  /** No tick after this time. */
  end?: Date | string;
  /** The job stops firing after this many ticks. */
  maxRuns?: number;
  /** Retries of a failed run, over the worker's defaults. */
  retry?: {
    /** Tries per tick, the first included. */
    maxAttempts?: number;
    /** The first retry's delay (Go duration), doubling each time. */
    delay?: string;
    /** The longest retry delay (Go duration). */
    maxDelay?: string;
  };
  /** Pause the key after this many consecutive failed ticks, with a note saying why. */
  pauseAfterFailures?: number;
}

/**
 * The third argument of `HttpJob`: the zone, the `dst` rule and the run policy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { HttpJobOptions } from "@x/schedule";
 * const options: HttpJobOptions = { tz: "Europe/Paris", overlap: "skip" };
 * assert.equal(options.tz, "Europe/Paris");
 * ```
 */
export interface HttpJobOptions extends JobPolicy {
  /** The IANA zone the spec is read in. */
  tz?: string;
  /**
   * Wall times a DST change skips or repeats.
   *
   * @default {"exact"}
   */
  dst?: "exact" | "once";
}

/**
 * One job of a schedule: a mode (what runs), a spec (when) and the mode's option (how).
 *
 * @example
 * ```ts
 * import type { Job } from "@x/schedule";
 * const job: Job = { mode: "HTTP", spec: "@every 15s", option: { url: "https://example.com" } };
 * ```
 */
export interface Job<O = unknown> {
  /** The mode, such as `HTTP`; the worker runs each mode with its handler. */
  mode: string;
  /** A cron spec, descriptor or `@every` duration (see the README's grammar). */
  spec: string;
  /** An IANA zone the spec is read in, instead of a `CRON_TZ=` prefix. */
  tz?: string;
  /**
   * Wall times a DST change skips or repeats: `exact` (default) fires a skipped time
   * never and a repeated one twice; `once` fires a skipped time at the jump and a
   * repeated one at its first occurrence.
   */
  dst?: "exact" | "once";
  /** How the job's ticks are governed; today's behaviour when left out. */
  policy?: JobPolicy;
  /** The mode's option. */
  option: O;
}

/**
 * How one execution of a tick ended: `success`; `retry` (it will be tried again);
 * `failed` (no more tries: a permanent error, or the last attempt); `superseded` (not
 * run: its definition was removed or replaced since the tick); or `interrupted` (an
 * attempt that got no answer, its worker stopped or lost NATS mid-call, recorded by the
 * worker of the next attempt).
 */
export type RunOutcome =
  | "success"
  | "retry"
  | "failed"
  | "superseded"
  | "interrupted"
  | "skipped"
  | "cancelled";

/**
 * What made a tick: its spec (`schedule`), a `trigger` call (`manual`) or a `backfill`
 * call (`backfill`).
 */
export type TickTrigger = "schedule" | "manual" | "backfill";

/**
 * One execution of one tick, as workers record it in the run history.
 *
 * @example
 * ```ts
 * import type { RunRecord } from "@x/schedule";
 * const failed = (runs: RunRecord[]) => runs.filter((run) => run.outcome === "failed");
 * ```
 */
export interface RunRecord {
  /** The schedule's key. */
  key: string;
  /** The job's position in its definition. */
  index: number;
  /** The tick's scheduled time. */
  scheduledAt: Date;
  /** 1 for the first try, 2 for the first retry, and so on. */
  attempt: number;
  /** When the execution started (for an `interrupted` attempt: when it was found lost). */
  startedAt: Date;
  /** How long it took, in ms. */
  durationMs: number;
  /** How it ended. */
  outcome: RunOutcome;
  /** The HTTP status, for HTTP jobs that got a response. */
  status?: number;
  /** The first bytes of the response body. */
  response?: string;
  /** What went wrong. */
  error?: string;
  /** The worker that ran it (for an `interrupted` attempt: the worker that found it). */
  worker: string;
  /** The tick's {@link Tick.revision}; absent in records of older workers. */
  revision?: number;
  /** The tick's {@link Tick.trigger}; `schedule` when absent. */
  trigger?: TickTrigger;
}

/**
 * When a job fires next and when it last fired.
 *
 * @example
 * ```ts
 * import type { JobState } from "@x/schedule";
 * const state: JobState = {
 *   next: new Date("2030-01-01T00:00:00Z"),
 *   prev: null,
 *   lastRun: null,
 *   paused: false,
 * };
 * ```
 */
export interface JobState {
  /** The next fire time, or `null` when paused or the spec never fires again. */
  next: Date | null;
  /**
   * The scheduled time of the last tick of this definition in the job queue, if any is
   * kept (ticks of a removed or replaced definition of the same key are not shown).
   */
  prev: Date | null;
  /** The last execution of a tick of this definition a worker recorded, if any is kept. */
  lastRun: RunRecord | null;
  /** Whether the key is paused (then `next` is `null`). */
  paused: boolean;
}

/**
 * A job as {@link Schedule.get} returns it: the definition and its state.
 *
 * @example
 * ```ts
 * import type { JobInfo } from "@x/schedule";
 * const print = (job: JobInfo) => console.log(job.spec, job.state.next);
 * ```
 */
export interface JobInfo<O = unknown> extends Job<O> {
  /** Next and previous fire times. */
  state: JobState;
}

/**
 * What a key of the namespace's bucket holds.
 *
 * @example
 * ```ts
 * import type { Definition } from "@x/schedule";
 * const def: Definition = {
 *   jobs: [{ mode: "HTTP", spec: "@hourly", option: { url: "https://example.com" } }],
 *   anchor: new Date("2024-01-01T00:00:00Z"),
 *   paused: false,
 * };
 * ```
 */
export interface Definition {
  /** One or more jobs; a job's index in this list names it in the queue. */
  jobs: Job[];
  /** Where `@every` ticks count from: the time the definition was set, to the second. */
  anchor: Date;
  /** A paused definition keeps its jobs but fires none. */
  paused: boolean;
  /**
   * The KV revision of the `set` that defined it, written by `pause` and `resume`, which
   * keep the definition; `set` leaves it out, its own entry's revision being it.
   */
  revision?: number;
  /** Why and since when the key is paused, and by whom, when it is. */
  pause?: PauseNote;
  /** Who wrote this revision, when the caller said (`set`, `pause`, `resume`). */
  by?: string;
}

/**
 * The note a pause keeps: why, since when, by whom.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { PauseNote } from "@x/schedule";
 * const note: PauseNote = { note: "vendor outage", at: "2027-01-01T00:00:00.000Z" };
 * assert.equal(note.note, "vendor outage");
 * ```
 */
export interface PauseNote {
  /** Why the key is paused. */
  note?: string;
  /** When it was paused (ISO 8601). */
  at: string;
  /** Who paused it: a caller's name, or `worker <name>` after failures. */
  by?: string;
}

/** The kinds of event a namespace publishes (see {@link ScheduleEvent}). */
export type EventType =
  | "missed"
  | "skipped"
  | "failed"
  | "paused"
  | "resumed"
  | "changed"
  | "removed"
  | "triggered"
  | "backfilled"
  | "node-joined"
  | "node-left";

/**
 * Something that happened in a namespace, published on
 * `schedule.<ns>.events.<type>.<key>` (or `schedule.<ns>.events.<type>` for events of no
 * key) as JSON, so any NATS client can follow them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ScheduleEvent } from "@x/schedule";
 * const event: ScheduleEvent = { type: "failed", at: new Date(), key: "report", index: 0 };
 * assert.equal(event.type, "failed");
 * ```
 */
export interface ScheduleEvent {
  /** What happened. */
  type: EventType;
  /** When it happened. */
  at: Date;
  /** The schedule's key, for events of one key. */
  key?: string;
  /** The job's position, for events of one job. */
  index?: number;
  /** The tick concerned, for tick events. */
  scheduledAt?: Date;
  /** How many ticks, for `missed` and `backfilled`. */
  count?: number;
  /**
   * For `missed`: the end of the gap, its last tick or (for a gap counted at a node's
   * start) a time none of its ticks passes; `scheduledAt` is its first tick.
   */
  until?: Date;
  /** Who or what caused it: a caller's name, a node's or worker's id. */
  by?: string;
  /** A human-readable detail: the error, the pause note, the reason a tick was skipped. */
  detail?: string;
}

/**
 * One tick of one job, as the publisher node puts it in the job queue.
 *
 * @example
 * ```ts
 * import type { Tick } from "@x/schedule";
 * const tick: Tick = {
 *   namespace: "beta",
 *   key: "test",
 *   index: 0,
 *   mode: "HTTP",
 *   spec: "@every 15s",
 *   option: { url: "https://example.com" },
 *   scheduledAt: new Date("2024-01-01T00:00:15Z"),
 * };
 * ```
 */
export interface Tick<O = unknown> extends Job<O> {
  /** The namespace the schedule lives in. */
  namespace: string;
  /** The schedule's key. */
  key: string;
  /** The job's position in its definition. */
  index: number;
  /** The tick's scheduled time (not the time it was published). */
  scheduledAt: Date;
  /**
   * When the node sent it: `scheduledAt` plus the job's jitter (the same on every node).
   * Absent without jitter.
   */
  firesAt?: Date;
  /**
   * The KV revision of the `set` that defined the job (kept by pause and resume): a worker
   * does not run a tick whose definition was removed or replaced since. Absent in ticks
   * of older nodes, which are run.
   */
  revision?: number;
  /** What made the tick; `schedule` when absent. */
  trigger?: TickTrigger;
}
