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
 * How one execution of a tick ended: `success`; `retry` (it will be tried again); or
 * `failed` (no more tries: a permanent error, or the last attempt).
 */
export type RunOutcome = "success" | "retry" | "failed";

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
  /** When the execution started. */
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
  /** The worker that ran it. */
  worker: string;
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
  /** The scheduled time of the last tick published to the job queue, if any is kept. */
  prev: Date | null;
  /** The last execution a worker recorded, if any is kept. */
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
}
