/**
 * The typed client: define, inspect, pause and remove the schedules of a namespace.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/nats-core";
import { Namespace } from "../nats/namespace.ts";
import { followEvents } from "../nats/events.ts";
import { SpecCache } from "../spec/cache.ts";
import type { Job, JobInfo, RunRecord, ScheduleEvent, Tick } from "../types.ts";
import {
  describeKey,
  type Description,
  keyRevisions,
  type Revision,
} from "./describe.ts";
import type {
  BackfillOptions,
  PauseOptions,
  ScheduleOptions,
  SetOptions,
  TriggerOptions,
  WriteOptions,
} from "./options.ts";
import { getJobs, listKeys, runHistory } from "./read.ts";
import { backfillKey, triggerJob } from "./ticks.ts";
import { pauseKey, removeKey, resumeKey, setJobs } from "./write.ts";
import { type Client, optionsOf } from "./_util.ts";
import { ConfigError, InvalidBackfillError } from "../errors.ts";

export type * from "./options.ts";
export { BY_HEADER } from "./write.ts";

/**
 * The schedules of one namespace.
 *
 * A schedule is a key holding one or more jobs. Definitions live in the namespace's KV
 * bucket; publisher nodes watch it and fire each job into the namespace's job queue.
 *
 * @example
 * ```ts ignore
 * import { connect } from "@nats-io/transport-node";
 * import { HttpJob, Schedule } from "@x/schedule";
 *
 * const nc = await connect({ servers: "127.0.0.1:4222" });
 * const schedule = await Schedule.create("beta", nc);
 * await schedule.set("test", HttpJob("@every 15s", { url: "https://api.example.com/hook" }));
 * console.log(await schedule.list()); // ["test"]
 * const [job] = await schedule.get("test");
 * console.log(job.state.next);
 * await schedule.remove("test");
 * await nc.close();
 * ```
 */
export class Schedule {
  readonly #client: Client;

  private constructor(nc: NatsConnection, namespace: Namespace) {
    const specs = new SpecCache();
    this.#client = { nc, namespace, compile: specs.get.bind(specs) };
  }

  /**
   * Opens the schedules of `namespace` on `nc`, creating the bucket and the job stream
   * if they are missing.
   *
   * @throws {InvalidNamespaceError} When the namespace is not valid.
   * @throws {ConfigError} When an option is not valid (`maxAge` shorter than the
   * duplicate window, a `historyPerJob` that is not a whole number from 1, `replicas`
   * not from 1 to 5...); nothing is created.
   *
   * @example
   * ```ts ignore
   * import { connect } from "@nats-io/transport-node";
   * import { Schedule } from "@x/schedule";
   * const nc = await connect({ servers: "127.0.0.1:4222" });
   * const schedule = await Schedule.create("beta", nc);
   * await nc.close();
   * ```
   */
  static async create(
    namespace: string,
    nc: NatsConnection,
    options: ScheduleOptions = {},
  ): Promise<Schedule> {
    return new Schedule(nc, await Namespace.open(nc, namespace, options));
  }

  /** The namespace this client works in. */
  get namespace(): string {
    return this.#client.namespace.names.namespace;
  }

  /**
   * The keys of the namespace, sorted.
   *
   * @example
   * ```ts ignore
   * console.log(await schedule.list()); // ["billing.nightly", "test"]
   * ```
   */
  async list(): Promise<string[]> {
    return await listKeys(this.#client);
  }

  /**
   * The jobs of `key` with their state: `next` from the spec, `prev` from the job queue,
   * `lastRun` from the run history; `prev` and `lastRun` of the current definition only
   * (not of one removed or replaced by `set` before it; a pause or resume keeps them).
   *
   * @throws {InvalidKeyError} When the key is not valid.
   * @throws {NotFoundError} When the key does not exist.
   *
   * @example
   * ```ts ignore
   * for (const job of await schedule.get("test")) console.log(job.spec, job.state);
   * ```
   */
  async get(key: string): Promise<JobInfo[]> {
    return await getJobs(this.#client, key);
  }

  /**
   * The recorded executions of the jobs of `key`, newest first (at most `limit`, default
   * 20). Workers record every attempt; the history keeps 100 per job for 7 days by default.
   *
   * @throws {InvalidKeyError} When the key is not valid.
   * @throws {ConfigError} When `limit` is not a whole number from 0.
   *
   * @example
   * ```ts ignore
   * for (const run of await schedule.history("test", { limit: 5 })) {
   *   console.log(run.scheduledAt, run.attempt, run.outcome, run.status);
   * }
   * ```
   */
  async history(
    key: string,
    options: { limit?: number } = {},
  ): Promise<RunRecord[]> {
    return await runHistory(
      this.#client,
      key,
      optionsOf("history", options, (m) => new ConfigError(m)),
    );
  }

  /**
   * Defines `key` as `jobs`, replacing what it held. `@every` jobs count from now. The
   * jobs come one by one, or as an array followed by options: `{ paused: true }` defines
   * the key paused, to start with {@link resume}; `expectedRevision` writes only if
   * nobody changed the key since that revision; `by` says who did it. Publishes a
   * `changed` event.
   *
   * @throws {InvalidKeyError} When the key is not valid.
   * @throws {InvalidJobError | InvalidSpecError | InvalidTimeZoneError} When a job is not
   * valid (or has a field a job does not have), its mode is neither `HTTP` nor one a
   * worker registered with `worker.handle`, or `paused` or `by` is not valid.
   * @throws {CodecError} When JSON cannot hold a job (a `BigInt` or a circular object).
   * @throws {PayloadTooLargeError} When the definition is larger than the server accepts.
   * @throws {ConflictError} When the key is not at `expectedRevision`.
   *
   * @example
   * ```ts ignore
   * await schedule.set(
   *   "reports",
   *   HttpJob("0 30 9 * * MON-FRI", { url: "https://example.com/daily" }, "Europe/Paris"),
   *   HttpJob("@every 1h", { url: "https://example.com/hourly", method: "GET" }),
   * );
   * await schedule.set("later", [HttpJob("@daily", { url: "https://example.com" })], {
   *   paused: true,
   * });
   * ```
   */
  async set(key: string, ...jobs: Job[]): Promise<void>;
  /**
   * Defines `key` as `jobs`, with `options`: `{ paused: true }` defines it paused,
   * `expectedRevision` refuses the write when the key changed since, `by` says who.
   *
   * @example
   * ```ts ignore
   * const { revision } = await schedule.describe("later");
   * await schedule.set("later", [HttpJob("@daily", { url: "https://example.com" })], {
   *   expectedRevision: revision,
   *   by: "alice",
   * });
   * ```
   */
  async set(key: string, jobs: Job[], options?: SetOptions): Promise<void>;
  async set(
    key: string,
    ...args: Job[] | [Job[], SetOptions?]
  ): Promise<void> {
    await setJobs(this.#client, key, args);
  }

  /**
   * Deletes `key`; its jobs stop firing. The bucket keeps the removal in the key's
   * history, with `by` in a `Schedule-By` header of its tombstone. Publishes a `removed`
   * event.
   *
   * @throws {InvalidKeyError} When the key is not valid.
   * @throws {NotFoundError} When the key does not exist.
   * @throws {ConflictError} When the key was written while it was being removed.
   *
   * @example
   * ```ts ignore
   * await schedule.remove("test", { by: "alice" });
   * ```
   */
  async remove(key: string, options: WriteOptions = {}): Promise<void> {
    await removeKey(this.#client, key, optionsOf("remove", options));
  }

  /**
   * Stops the jobs of `key` from firing; the definition is kept, with a pause note (when,
   * `note`, `by`). Pausing a paused key changes nothing (its note is kept). Publishes a
   * `paused` event.
   *
   * @throws {NotFoundError} When the key does not exist.
   * @throws {InvalidJobError} When `note` or `by` is not valid.
   * @throws {PayloadTooLargeError} When the paused definition is larger than the server
   * accepts.
   *
   * @example
   * ```ts ignore
   * await schedule.pause("report", { note: "vendor outage, ticket 123", by: "alice" });
   * ```
   */
  async pause(key: string, options: PauseOptions = {}): Promise<void> {
    await pauseKey(this.#client, key, optionsOf("pause", options));
  }

  /**
   * Lets a paused key fire again, dropping its pause note. Ticks that fell due while
   * paused are not fired; `@every` ticks keep their original grid. Resuming a key that
   * is not paused changes nothing. Publishes a `resumed` event.
   *
   * @throws {NotFoundError} When the key does not exist.
   * @throws {InvalidSpecError} When a job's spec never fires again.
   * @throws {InvalidJobError} When `by` is not valid.
   * @throws {PayloadTooLargeError} When the resumed definition is larger than the server
   * accepts.
   *
   * @example
   * ```ts ignore
   * await schedule.resume("report", { by: "alice" });
   * ```
   */
  async resume(key: string, options: WriteOptions = {}): Promise<void> {
    await resumeKey(this.#client, key, optionsOf("resume", options));
  }

  /**
   * Runs job `index` of `key` now, outside its spec: puts a tick in the job queue, with
   * `scheduledAt` now and trigger `manual`, which workers run as any other (retries,
   * overlap, run history). A paused key can be triggered. Returns the tick. Publishes a
   * `triggered` event.
   *
   * @throws {NotFoundError} When the key, or its job `index`, does not exist.
   *
   * @example
   * ```ts ignore
   * const tick = await schedule.trigger("report", { by: "alice" });
   * console.log(tick.scheduledAt, tick.trigger); // now, "manual"
   * ```
   */
  async trigger(key: string, options: TriggerOptions = {}): Promise<Tick> {
    return await triggerJob(
      this.#client,
      key,
      optionsOf("trigger", options, (m) => new InvalidBackfillError(m)),
    );
  }

  /**
   * Fires the ticks of the past range [`from`, `to`] (both included) of job `index` of
   * `key`, or of every job: the times of the spec by the tick rule, trigger `backfill`,
   * run by workers as any other tick. Returns how many were fired.
   *
   * A time that already has a tick is not fired again: a backfilled tick has the message
   * id of the scheduled one, so the job stream drops it within its duplicate window (2
   * min), and before publishing, times that have a tick in the job stream (kept 24 h) or a
   * run record in the run history (7 days, 100 per job) are left out. A time older than
   * both whose tick and runs aged out is fired again.
   *
   * The times follow the tick rule: none before a job's policy `start` nor after its
   * `end` (its `maxRuns` does not apply). A job with a `jitter` sends each tick up to the
   * jitter late: a range holding a time the node has not sent yet is refused, since the
   * node's copy would come after the duplicate window.
   *
   * One call covers at most 31 days and 1,000 ticks. Publishes a `backfilled` event per
   * job fired.
   *
   * @throws {NotFoundError} When the key, or its job `index`, does not exist.
   * @throws {InvalidBackfillError} When the range is missing, reversed, reaches the
   * future, or holds a time of a jittered job the node has not sent yet.
   * @throws {BackfillTooLargeError} When it is too long or holds too many ticks.
   *
   * @example
   * ```ts ignore
   * const fired = await schedule.backfill("report", {
   *   from: new Date("2027-01-01T00:00:00Z"),
   *   to: new Date("2027-01-02T00:00:00Z"),
   *   by: "alice",
   * });
   * ```
   */
  async backfill(key: string, options: BackfillOptions): Promise<number> {
    return await backfillKey(this.#client, key, options);
  }

  /**
   * The writes to `key` the bucket keeps (64 for namespaces created since run
   * governance, 5 before), newest first: `set`, `pause`, `resume` and `remove`, with when,
   * who (when the caller said), the pause note and the definition written.
   *
   * @throws {InvalidKeyError} When the key is not valid.
   * @throws {NotFoundError} When the bucket keeps no write of the key.
   *
   * @example
   * ```ts ignore
   * for await (const r of schedule.revisions("report")) {
   *   console.log(r.revision, r.at, r.operation, r.by, r.note);
   * }
   * ```
   */
  async *revisions(key: string): AsyncIterable<Revision> {
    yield* await keyRevisions(this.#client, key);
  }

  /**
   * Everything known of `key`: paused (with its note), created and updated times, the
   * revision to give `set` as `expectedRevision`, and per job its policy, its next 10
   * fire times, its 10 most recent runs, the ticks under way and counters over what the
   * streams keep (see {@link Description}).
   *
   * @throws {InvalidKeyError} When the key is not valid.
   * @throws {NotFoundError} When the key does not exist.
   *
   * @example
   * ```ts ignore
   * const d = await schedule.describe("report");
   * console.log(d.paused, d.pause?.note, d.jobs[0].next, d.jobs[0].counts);
   * ```
   */
  async describe(key: string): Promise<Description> {
    return await describeKey(this.#client, key);
  }

  /**
   * The events of the namespace as they happen, until `signal` is aborted: `changed`,
   * `removed`, `paused`, `resumed`, `triggered`, `backfilled` from clients, `missed` and
   * `node-*` from nodes, `failed` and `skipped` from workers. Events are not stored: one
   * published while nobody follows is gone.
   *
   * @throws {ScheduleError} When the connection closes before `signal` is aborted.
   *
   * @example
   * ```ts ignore
   * const stop = new AbortController();
   * for await (const event of schedule.events({ signal: stop.signal })) {
   *   console.log(event.type, event.key, event.by);
   * }
   * ```
   */
  events(options: { signal?: AbortSignal } = {}): AsyncIterable<ScheduleEvent> {
    return followEvents(
      this.#client.nc,
      this.#client.namespace.names,
      optionsOf("events", options, (m) => new ConfigError(m)).signal,
    );
  }
}
