/**
 * The typed client: define, inspect, pause and remove the schedules of a namespace.
 *
 * @module
 */

import { headers, type NatsConnection } from "@nats-io/nats-core";
import { PubHeaders } from "@nats-io/jetstream";
import type { KvEntry } from "@nats-io/kv";
import {
  assertFits,
  type CompiledDefinition,
  decodeDefinition,
  decodeRunRecord,
  decodeTick,
  definedRevision,
  encodeDefinition,
  tickEncoder,
} from "../wire/mod.ts";
import {
  ConflictError,
  InvalidJobError,
  InvalidSpecError,
  NotFoundError,
  ScheduleError,
} from "../errors.ts";
import { validateJob } from "../jobs/job.ts";
import { validateKey } from "../nats/names.ts";
import { quoted } from "../_util.ts";
import { Namespace, type NamespaceOptions } from "../nats/namespace.ts";
import {
  pauseDefinition,
  readDefinitionEntry,
  updateDefinition,
} from "../nats/definitions.ts";
import { isConflict } from "../nats/kv_change.ts";
import { followEvents, publishEvent } from "../nats/events.ts";
import { SpecCache } from "../spec/cache.ts";
import type { Spec } from "../spec/spec.ts";
import { firstTickAfter, nextTick } from "../spec/ticks.ts";
import type {
  Definition,
  Job,
  JobInfo,
  RunRecord,
  ScheduleEvent,
  Tick,
  TickTrigger,
} from "../types.ts";
import { backfillTicks, backfillTime } from "./backfill.ts";
import {
  type Description,
  operationOf,
  type Revision,
  summarizeRuns,
} from "./describe.ts";

/**
 * Options of {@link Schedule.create}: how the namespace's streams are created if they are
 * missing.
 *
 * @example
 * ```ts
 * import type { ScheduleOptions } from "@x/schedule";
 * const options: ScheduleOptions = { maxAge: 7 * 24 * 3600_000 };
 * ```
 */
export type ScheduleOptions = NamespaceOptions;

/**
 * Options of {@link Schedule.set}.
 *
 * @example
 * ```ts
 * import type { SetOptions } from "@x/schedule";
 * const options: SetOptions = { paused: true };
 * ```
 */
export interface SetOptions extends WriteOptions {
  /** Define the key paused: its jobs fire once it is resumed. */
  paused?: boolean;
  /**
   * Write only if the key is at this KV revision (see {@link Description.revision}), `0`
   * only if it does not exist; else a {@link ConflictError} is thrown and nothing written.
   */
  expectedRevision?: number;
}

/**
 * Who makes a change: kept in the bucket's history (see {@link Schedule.revisions}) and
 * in the events.
 *
 * @example
 * ```ts
 * import type { WriteOptions } from "@x/schedule";
 * const options: WriteOptions = { by: "alice" };
 * ```
 */
export interface WriteOptions {
  /** Who does it: a person's or a program's name. */
  by?: string;
}

/**
 * Options of {@link Schedule.pause}.
 *
 * @example
 * ```ts
 * import type { PauseOptions } from "@x/schedule";
 * const options: PauseOptions = { note: "vendor outage, ticket 123", by: "alice" };
 * ```
 */
export interface PauseOptions extends WriteOptions {
  /** Why the key is paused. */
  note?: string;
}

/**
 * Options of {@link Schedule.trigger}.
 *
 * @example
 * ```ts
 * import type { TriggerOptions } from "@x/schedule";
 * const options: TriggerOptions = { index: 1, by: "alice" };
 * ```
 */
export interface TriggerOptions extends WriteOptions {
  /** The job's position in the definition (default 0). */
  index?: number;
}

/**
 * Options of {@link Schedule.backfill}: the range, both ends included.
 *
 * @example
 * ```ts
 * import type { BackfillOptions } from "@x/schedule";
 * const options: BackfillOptions = {
 *   from: new Date("2027-01-01T00:00:00Z"),
 *   to: "2027-01-02T00:00:00Z",
 * };
 * ```
 */
export interface BackfillOptions extends TriggerOptions {
  /** The first time of the range. */
  from: Date | string;
  /** The last time of the range, not in the future. */
  to: Date | string;
  /** Only the job at this position; every job of the key when left out. */
  index?: number;
}

/** The header of a remove's tombstone in the bucket that says who removed the key. */
export const BY_HEADER = "Schedule-By";

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
  readonly #nc: NatsConnection;
  readonly #namespace: Namespace;
  readonly #specs = new SpecCache();
  readonly #compile = this.#specs.get.bind(this.#specs);

  private constructor(nc: NatsConnection, namespace: Namespace) {
    this.#nc = nc;
    this.#namespace = namespace;
  }

  /**
   * Opens the schedules of `namespace` on `nc`, creating the bucket and the job stream
   * if they are missing.
   *
   * @throws {InvalidNamespaceError} When the namespace is not valid.
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
    return this.#namespace.names.namespace;
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
    const keys: string[] = [];
    for await (const key of await this.#namespace.kv.keys()) keys.push(key);
    return keys.sort();
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
    const entry = await this.#read(key);
    const { definition, specs } = decodeDefinition(
      entry.value,
      this.#compile,
    );
    const revision = definedRevision(definition, entry.revision);
    const now = Date.now();
    return await Promise.all(definition.jobs.map(async (job, index) => {
      const next = definition.paused ? null : firstTickAfter(
        specs[index],
        definition,
        entry.created.getTime(),
        now,
        job.policy,
      );
      const [prev, lastRun] = await Promise.all([
        this.#prev(key, index, revision),
        this.#lastRun(key, index, revision),
      ]);
      return {
        ...job,
        state: {
          next: next === null ? null : new Date(next),
          prev,
          lastRun,
          paused: definition.paused,
        },
      };
    }));
  }

  /**
   * The recorded executions of the jobs of `key`, newest first (at most `limit`, default
   * 20). Workers record every attempt; the history keeps 100 per job for 7 days by default.
   *
   * @throws {InvalidKeyError} When the key is not valid.
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
    validateKey(key);
    const limit = options.limit ?? 20;
    if (limit <= 0) return [];
    const { names } = this.#namespace;
    const runs: RunRecord[] = [];
    for await (
      const run of this.#namespace.read(
        names.runStream,
        names.runSubjectsOf(key),
        decodeRunRecord,
      )
    ) {
      runs.push(run);
      if (runs.length > limit) runs.shift();
    }
    return runs.reverse();
  }

  /**
   * Defines `key` as `jobs`, replacing what it held. `@every` jobs count from now. The
   * jobs come one by one, or as an array followed by options: `{ paused: true }` defines
   * the key paused, to start with {@link resume}; `expectedRevision` writes only if
   * nobody changed the key since that revision; `by` says who did it. Publishes a
   * `changed` event.
   *
   * @throws {InvalidKeyError} When the key is not valid.
   * @throws {InvalidJobError | InvalidSpecError | InvalidTimeZoneError} When a job is not,
   * or its mode is neither `HTTP` nor one a worker registered with `worker.handle`.
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
    validateKey(key);
    const [jobs, options = {}] = Array.isArray(args[0])
      ? args as [Job[], SetOptions?]
      : [args as Job[]];
    if (jobs.length === 0) {
      throw new InvalidJobError(
        `set(${quoted(key)}) needs at least one job; to delete it use remove()`,
      );
    }
    const { expectedRevision, by } = options;
    if (
      expectedRevision !== undefined &&
      !(Number.isInteger(expectedRevision) && expectedRevision >= 0)
    ) {
      throw new InvalidJobError(
        `set(${
          quoted(key)
        }): expectedRevision must be a whole number, 0 or more`,
      );
    }
    checkBy(by);
    await this.#checkModes(jobs);
    const now = Date.now();
    const definition: Definition = {
      jobs,
      anchor: new Date(Math.floor(now / 1000) * 1000),
      paused: options.paused ?? false,
      ...(by === undefined ? {} : { by }),
    };
    await this.#write(key, definition, now, expectedRevision);
    this.#event({ type: "changed", key, by });
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
    checkBy(options.by);
    const entry = await this.#read(key);
    // What kv.delete publishes, with who did it: a KV delete takes no value.
    const tombstone = headers();
    tombstone.set("KV-Operation", "DEL");
    tombstone.set(
      PubHeaders.ExpectedLastSubjectSequenceHdr,
      String(entry.revision),
    );
    if (options.by !== undefined) tombstone.set(BY_HEADER, options.by);
    try {
      await this.#namespace.js.publish(
        `$KV.${this.#namespace.names.bucket}.${key}`,
        undefined,
        { headers: tombstone },
      );
    } catch (err) {
      if (!isConflict(err)) throw err;
      throw this.#conflict(key, "while it was being removed");
    }
    this.#event({ type: "removed", key, by: options.by });
  }

  /**
   * Stops the jobs of `key` from firing; the definition is kept, with a pause note (when,
   * `note`, `by`). Pausing a paused key changes nothing (its note is kept). Publishes a
   * `paused` event.
   *
   * @throws {NotFoundError} When the key does not exist.
   *
   * @example
   * ```ts ignore
   * await schedule.pause("report", { note: "vendor outage, ticket 123", by: "alice" });
   * ```
   */
  async pause(key: string, options: PauseOptions = {}): Promise<void> {
    validateKey(key);
    const { note, by } = options;
    checkBy(by);
    if (note !== undefined && typeof note !== "string") {
      throw new InvalidJobError("pause: note must be a string");
    }
    const paused = await pauseDefinition(this.#namespace, key, {
      at: new Date().toISOString(),
      ...(note === undefined ? {} : { note }),
      ...(by === undefined ? {} : { by }),
    });
    if (paused) this.#event({ type: "paused", key, by, detail: note });
  }

  /**
   * Lets a paused key fire again, dropping its pause note. Ticks that fell due while
   * paused are not fired; `@every` ticks keep their original grid. Resuming a key that
   * is not paused changes nothing. Publishes a `resumed` event.
   *
   * @throws {NotFoundError} When the key does not exist.
   * @throws {InvalidSpecError} When a job's spec never fires again.
   *
   * @example
   * ```ts ignore
   * await schedule.resume("report", { by: "alice" });
   * ```
   */
  async resume(key: string, options: WriteOptions = {}): Promise<void> {
    validateKey(key);
    const { by } = options;
    checkBy(by);
    let resumed = false;
    await updateDefinition(
      this.#namespace,
      key,
      ({ pause: _, by: __, ...definition }, specs) => {
        resumed = definition.paused;
        if (!resumed) return null;
        const changed = {
          ...definition,
          paused: false,
          ...(by === undefined ? {} : { by }),
        };
        assertFires(changed, specs, Date.now());
        return changed;
      },
      undefined,
      this.#compile,
    );
    if (resumed) this.#event({ type: "resumed", key, by });
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
    const { by } = options;
    checkBy(by);
    const { entry, definition } = await this.#definition(key);
    const index = this.#jobIndex(key, definition, options.index ?? 0);
    const scheduledAt = new Date();
    const tick = this.#tick(key, index, entry.revision, definition, "manual");
    const id = `${
      this.#namespace.names.tickId(key, index, scheduledAt.getTime())
    }.manual.${crypto.randomUUID()}`;
    await this.#publishTick(tick, scheduledAt, id);
    this.#event({ type: "triggered", key, index, scheduledAt, by });
    return { ...tick, scheduledAt };
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
   * One call covers at most 31 days and 1,000 ticks. Publishes a `backfilled` event per
   * job fired.
   *
   * @throws {NotFoundError} When the key, or its job `index`, does not exist.
   * @throws {InvalidBackfillError} When the range is reversed or reaches the future.
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
    const { by } = options;
    checkBy(by);
    const from = backfillTime(options?.from, "from");
    const to = backfillTime(options?.to, "to");
    const { entry, definition, specs } = await this.#definition(key);
    const indexes = options.index === undefined
      ? definition.jobs.map((_, index) => index)
      : [this.#jobIndex(key, definition, options.index)];
    const times = backfillTicks(
      indexes.map((index) => specs[index]),
      definition.anchor.getTime(),
      from,
      to,
      Date.now(),
    );
    const { names } = this.#namespace;
    let total = 0;
    for (const [i, index] of indexes.entries()) {
      const done = await this.#ranTimes(key, index);
      const tick = this.#tick(
        key,
        index,
        entry.revision,
        definition,
        "backfill",
      );
      let count = 0;
      for (const time of times[i]) {
        if (done.has(time)) continue;
        const ack = await this.#publishTick(
          tick,
          new Date(time),
          names.tickId(key, index, time),
        );
        if (!ack) count++;
      }
      total += count;
      if (count > 0) {
        this.#event({
          type: "backfilled",
          key,
          index,
          count,
          by,
          detail: `${new Date(from).toISOString()} to ${
            new Date(to).toISOString()
          }`,
        });
      }
    }
    return total;
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
    yield* await this.#revisions(key);
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
    const { entry, definition, specs } = await this.#definition(key);
    const revision = definedRevision(definition, entry.revision);
    const history = await this.#revisions(key);
    const life = history.findIndex((r) => r.operation === "remove");
    const first = history[(life === -1 ? history.length : life) - 1];
    const now = Date.now();
    const { names } = this.#namespace;
    const runs: RunRecord[][] = definition.jobs.map(() => []);
    for await (
      const run of this.#namespace.read(
        names.runStream,
        names.runSubjectsOf(key),
        decodeRunRecord,
      )
    ) if (ofDefinition(run, revision)) runs[run.index]?.push(run);
    const jobs = await Promise.all(definition.jobs.map(async (job, index) => {
      const ticks: Tick[] = [];
      for await (
        const tick of this.#namespace.read(
          names.jobStream,
          names.jobSubject(key, index),
          decodeTick,
        )
      ) if (ofDefinition(tick, revision)) ticks.push(tick);
      return {
        ...job,
        index,
        next: definition.paused
          ? []
          : nextTimes(specs[index], definition, entry.created.getTime(), now),
        ...summarizeRuns(ticks, runs[index], job.policy?.maxRuns),
      };
    }));
    return {
      key,
      revision: entry.revision,
      paused: definition.paused,
      ...(definition.pause === undefined ? {} : { pause: definition.pause }),
      created: first?.at ?? entry.created,
      updated: entry.created,
      ...(definition.by === undefined ? {} : { by: definition.by }),
      jobs,
    };
  }

  /**
   * The events of the namespace as they happen, until `signal` is aborted: `changed`,
   * `removed`, `paused`, `resumed`, `triggered`, `backfilled` from clients, `missed` and
   * `node-*` from nodes, `failed` and `skipped` from workers. Events are not stored: one
   * published while nobody follows is gone.
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
    return followEvents(this.#nc, this.#namespace.names, options.signal);
  }

  /** The writes to `key` the bucket keeps, newest first. */
  async #revisions(key: string): Promise<Revision[]> {
    validateKey(key);
    const { kv, jsm, names } = this.#namespace;
    const entries: KvEntry[] = [];
    for await (const entry of await kv.history({ key })) entries.push(entry);
    if (entries.length === 0) {
      throw new NotFoundError(
        `no schedule ${quoted(key)} in namespace ${this.namespace}`,
      );
    }
    return await Promise.all(
      entries.reverse().map(async (entry) => {
        const { revision, created: at } = entry;
        if (entry.operation !== "PUT") {
          const stored = await jsm.streams.getMessage(`KV_${names.bucket}`, {
            seq: revision,
          });
          const by = stored?.header?.get(BY_HEADER) || undefined;
          return { revision, at, operation: "remove", ...by && { by } };
        }
        let definition: Definition;
        try {
          definition = decodeDefinition(entry.value, this.#compile).definition;
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
      }),
    );
  }

  /** The entry of `key` and its definition. */
  async #definition(
    key: string,
  ): Promise<CompiledDefinition & { entry: KvEntry }> {
    const entry = await this.#read(key);
    return { entry, ...decodeDefinition(entry.value, this.#compile) };
  }

  /** Checks that `definition` of `key` has a job `index`. */
  #jobIndex(key: string, definition: Definition, index: number): number {
    if (
      !Number.isInteger(index) || index < 0 || index >= definition.jobs.length
    ) {
      throw new NotFoundError(
        `${
          quoted(key)
        } has no job ${index}: it has ${definition.jobs.length} (0 to ${
          definition.jobs.length - 1
        })`,
      );
    }
    return index;
  }

  /** The tick of job `index` of `definition`, all but its time. */
  #tick(
    key: string,
    index: number,
    entryRevision: number,
    definition: Definition,
    trigger: TickTrigger,
  ): Omit<Tick, "scheduledAt"> {
    return {
      ...definition.jobs[index],
      namespace: this.namespace,
      key,
      index,
      revision: definedRevision(definition, entryRevision),
      trigger,
    };
  }

  /** Publishes a tick; returns true when the stream already held its id. */
  async #publishTick(
    tick: Omit<Tick, "scheduledAt">,
    scheduledAt: Date,
    msgID: string,
  ): Promise<boolean> {
    const bytes = tickEncoder(tick)(scheduledAt);
    assertFits(
      bytes,
      this.#nc.info?.max_payload ?? Infinity,
      `a tick of job ${tick.index} of ${quoted(tick.key)}`,
    );
    const { names, js } = this.#namespace;
    const ack = await js.publish(
      names.jobSubject(tick.key, tick.index),
      bytes,
      {
        msgID,
      },
    );
    return ack.duplicate;
  }

  /** The times of job `index` of `key` that have a tick in the queue or a run record. */
  async #ranTimes(key: string, index: number): Promise<Set<number>> {
    const { names } = this.#namespace;
    const times = new Set<number>();
    const at = (written: { scheduledAt: Date }) =>
      times.add(written.scheduledAt.getTime());
    for await (
      const tick of this.#namespace.read(
        names.jobStream,
        names.jobSubject(key, index),
        decodeTick,
      )
    ) at(tick);
    for await (
      const run of this.#namespace.read(
        names.runStream,
        names.runSubject(key, index),
        decodeRunRecord,
      )
    ) at(run);
    return times;
  }

  #event(event: Omit<ScheduleEvent, "at">): void {
    const defined = Object.fromEntries(
      Object.entries(event).filter(([, value]) => value !== undefined),
    ) as Omit<ScheduleEvent, "at">;
    publishEvent(this.#nc, this.#namespace.names, {
      ...defined,
      at: new Date(),
    });
  }

  #conflict(key: string, when: string): ConflictError {
    return new ConflictError(
      `${quoted(key)} in namespace ${this.namespace} was changed ${when}: ` +
        `read it again (describe shows its revision) and retry`,
    );
  }

  /** Refuses the jobs of a mode that no worker of the namespace runs. */
  async #checkModes(jobs: Job[]): Promise<void> {
    const checked = new Set<string>();
    for (const [index, job] of jobs.entries()) {
      validateJob(job);
      if (checked.has(job.mode)) continue;
      checked.add(job.mode);
      if (await this.#namespace.knowsMode(job.mode)) continue;
      const hint = job.mode.toUpperCase() === "HTTP"
        ? ' (modes are case-sensitive: did you mean "HTTP"?)'
        : "";
      throw new InvalidJobError(
        `job ${index}: no worker of namespace ${this.namespace} handles mode "${job.mode}"${hint}: ` +
          `use "HTTP", or register a handler first with worker.handle("${job.mode}", handler)`,
      );
    }
  }

  async #read(key: string): Promise<KvEntry> {
    validateKey(key);
    return await readDefinitionEntry(this.#namespace, key);
  }

  /**
   * Writes `definition` to `key`: whatever it held, or only if it is at
   * `expectedRevision` (`0`: only if it does not exist).
   */
  async #write(
    key: string,
    definition: Definition,
    now: number,
    expectedRevision?: number,
  ) {
    const { bytes, specs } = encodeDefinition(definition, this.#compile);
    const maxPayload = this.#nc.info?.max_payload ?? Infinity;
    assertFits(bytes, maxPayload, `the definition of ${quoted(key)}`);
    assertFires(definition, specs, now);
    definition.jobs.forEach((job, index) => {
      const tick = tickEncoder({
        ...job,
        namespace: this.namespace,
        key,
        index,
      })(definition.anchor);
      assertFits(
        tick,
        maxPayload,
        `a tick of job ${index} of ${quoted(key)}`,
      );
    });
    const { kv } = this.#namespace;
    try {
      if (expectedRevision === undefined) await kv.put(key, bytes);
      else if (expectedRevision === 0) await kv.create(key, bytes);
      else await kv.update(key, bytes, expectedRevision);
    } catch (err) {
      if (!isConflict(err)) throw err;
      throw this.#conflict(
        key,
        expectedRevision === 0
          ? "before it: it exists"
          : `since revision ${expectedRevision}`,
      );
    }
  }

  /**
   * The last run a worker recorded for job `index` of definition `revision` of `key`:
   * the job's last record, else (when that one is of another definition) the last of
   * this definition in the job's history.
   */
  async #lastRun(
    key: string,
    index: number,
    revision: number,
  ): Promise<RunRecord | null> {
    const { names } = this.#namespace;
    const subject = names.runSubject(key, index);
    const last = await this.#namespace.last(
      names.runStream,
      subject,
      decodeRunRecord,
    );
    if (last === null || ofDefinition(last, revision)) return last;
    let found: RunRecord | null = null;
    for await (
      const run of this.#namespace.read(
        names.runStream,
        subject,
        decodeRunRecord,
      )
    ) if (ofDefinition(run, revision)) found = run;
    return found;
  }

  /**
   * The scheduled time of the last tick of job `index` of `key` in the queue, when it is
   * of definition `revision`.
   */
  async #prev(
    key: string,
    index: number,
    revision: number,
  ): Promise<Date | null> {
    const { names } = this.#namespace;
    const tick = await this.#namespace.last(
      names.jobStream,
      names.jobSubject(key, index),
      decodeTick,
    );
    return tick !== null && ofDefinition(tick, revision)
      ? tick.scheduledAt
      : null;
  }
}

/**
 * Throws when a job of a definition that is not paused never fires again after `now`.
 */
function assertFires(definition: Definition, specs: Spec[], now: number): void {
  if (definition.paused) return;
  definition.jobs.forEach((job, index) => {
    if (specs[index].next(now, definition.anchor.getTime()) === null) {
      throw new InvalidSpecError(
        `job ${index}: spec "${job.spec}" never fires again`,
      );
    }
  });
}

/** The next fire times of a job after `now` by the tick rule, up to 10. */
function nextTimes(
  spec: Spec,
  definition: Definition,
  definedAt: number,
  now: number,
): Date[] {
  const times: Date[] = [];
  const anchor = definition.anchor.getTime();
  for (
    let tick = firstTickAfter(spec, definition, definedAt, now);
    tick !== null && times.length < 10;
    tick = nextTick(spec, anchor, tick)
  ) times.push(new Date(tick));
  return times;
}

/** Refuses a `by` that is not a non-empty string. */
function checkBy(by: unknown): void {
  if (by !== undefined && (typeof by !== "string" || by === "")) {
    throw new InvalidJobError("by must be a name, a non-empty string");
  }
}

/**
 * True when a tick or run record is of definition `revision`, or does not say (written
 * by an older node or worker).
 */
function ofDefinition(
  written: { revision?: number },
  revision: number,
): boolean {
  return written.revision === undefined || written.revision === revision;
}
