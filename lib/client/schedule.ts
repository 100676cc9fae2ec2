/**
 * The typed client: define, inspect, pause and remove the schedules of a namespace.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/nats-core";
import type { KvEntry } from "@nats-io/kv";
import {
  assertFits,
  decodeDefinition,
  decodeRunRecord,
  decodeTick,
  definedRevision,
  encodeDefinition,
  tickEncoder,
} from "../wire/mod.ts";
import { InvalidJobError, InvalidSpecError, NotFoundError } from "../errors.ts";
import { validateJob } from "../jobs/job.ts";
import { validateKey } from "../nats/names.ts";
import { quoted } from "../_util.ts";
import { Namespace, type NamespaceOptions } from "../nats/namespace.ts";
import { SpecCache } from "../spec/cache.ts";
import { firstTickAfter } from "../spec/ticks.ts";
import type { Definition, Job, JobInfo, RunRecord } from "../types.ts";

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
export interface SetOptions {
  /** Define the key paused: its jobs fire once it is resumed. */
  paused?: boolean;
}

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
   * the key paused, to start with {@link resume}.
   *
   * @throws {InvalidKeyError} When the key is not valid.
   * @throws {InvalidJobError | InvalidSpecError | InvalidTimeZoneError} When a job is not,
   * or its mode is neither `HTTP` nor one a worker registered with `worker.handle`.
   * @throws {PayloadTooLargeError} When the definition is larger than the server accepts.
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
   * Defines `key` as `jobs`, with `options` (`{ paused: true }` defines it paused).
   *
   * @example
   * ```ts ignore
   * await schedule.set("later", [HttpJob("@daily", { url: "https://example.com" })], {
   *   paused: true,
   * });
   * ```
   */
  async set(key: string, jobs: Job[], options?: SetOptions): Promise<void>;
  async set(
    key: string,
    ...args: Job[] | [Job[], SetOptions?]
  ): Promise<void> {
    validateKey(key);
    const [jobs, options] = Array.isArray(args[0])
      ? args as [Job[], SetOptions?]
      : [args as Job[]];
    if (jobs.length === 0) {
      throw new InvalidJobError(
        `set(${quoted(key)}) needs at least one job; to delete it use remove()`,
      );
    }
    await this.#checkModes(jobs);
    const now = Date.now();
    const definition: Definition = {
      jobs,
      anchor: new Date(Math.floor(now / 1000) * 1000),
      paused: options?.paused ?? false,
    };
    await this.#write(key, definition, now);
  }

  /**
   * Deletes `key`; its jobs stop firing.
   *
   * @throws {InvalidKeyError} When the key is not valid.
   * @throws {NotFoundError} When the key does not exist.
   *
   * @example
   * ```ts ignore
   * await schedule.remove("test");
   * ```
   */
  async remove(key: string): Promise<void> {
    const entry = await this.#read(key);
    await this.#namespace.kv.delete(key, { previousSeq: entry.revision });
  }

  /**
   * Stops the jobs of `key` from firing; the definition is kept.
   *
   * @throws {NotFoundError} When the key does not exist.
   *
   * @example
   * ```ts ignore
   * await schedule.pause("test");
   * ```
   */
  async pause(key: string): Promise<void> {
    await this.#setPaused(key, true);
  }

  /**
   * Lets a paused key fire again. Ticks that fell due while paused are not fired;
   * `@every` ticks keep their original grid.
   *
   * @throws {NotFoundError} When the key does not exist.
   *
   * @example
   * ```ts ignore
   * await schedule.resume("test");
   * ```
   */
  async resume(key: string): Promise<void> {
    await this.#setPaused(key, false);
  }

  async #setPaused(key: string, paused: boolean): Promise<void> {
    const entry = await this.#read(key);
    const { definition } = decodeDefinition(
      entry.value,
      this.#compile,
    );
    if (definition.paused === paused) return;
    await this.#write(
      key,
      {
        ...definition,
        paused,
        revision: definedRevision(definition, entry.revision),
      },
      Date.now(),
      entry.revision,
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
    const entry = await this.#namespace.kv.get(key);
    if (entry === null || entry.operation !== "PUT") {
      throw new NotFoundError(
        `no schedule ${quoted(key)} in namespace ${this.namespace}`,
      );
    }
    return entry;
  }

  async #write(
    key: string,
    definition: Definition,
    now: number,
    revision?: number,
  ) {
    const { bytes, specs } = encodeDefinition(definition, this.#compile);
    const maxPayload = this.#nc.info?.max_payload ?? Infinity;
    assertFits(bytes, maxPayload, `the definition of ${quoted(key)}`);
    definition.jobs.forEach((job, index) => {
      if (
        !definition.paused &&
        specs[index].next(now, definition.anchor.getTime()) === null
      ) {
        throw new InvalidSpecError(
          `job ${index}: spec "${job.spec}" never fires again`,
        );
      }
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
    if (revision === undefined) await this.#namespace.kv.put(key, bytes);
    else await this.#namespace.kv.update(key, bytes, revision);
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
 * True when a tick or run record is of definition `revision`, or does not say (written
 * by an older node or worker).
 */
function ofDefinition(
  written: { revision?: number },
  revision: number,
): boolean {
  return written.revision === undefined || written.revision === revision;
}
