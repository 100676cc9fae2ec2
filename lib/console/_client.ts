/**
 * SHIM, to delete when the client's governance calls land (branch govclient): the calls
 * the console codes against — `pause` with a note, `resume`, `trigger`, `backfill`,
 * `describe`, `revisions`, `events`, `set` with an expected revision — with the
 * signatures the client will have. {@link consoleSchedule} returns the client itself
 * when it has them; otherwise a thin stand-in over what exists. After the merge, the
 * console takes `Schedule` where it takes {@link ConsoleSchedule}.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/nats-core";
import type { KvEntry } from "@nats-io/kv";
import type { Schedule } from "../client/schedule.ts";
import { NotFoundError, ScheduleError } from "../errors.ts";
import { followEvents, publishEvent } from "../nats/events.ts";
import type { Namespace } from "../nats/namespace.ts";
import { SpecCache } from "../spec/mod.ts";
import { firstTickAfter, nextTick } from "../spec/ticks.ts";
import type {
  Definition,
  Job,
  PauseNote,
  RunRecord,
  ScheduleEvent,
  Tick,
} from "../types.ts";
import {
  decodeDefinition,
  definedRevision,
  encodeDefinition,
  encodeTick,
} from "../wire/mod.ts";

/** What `describe` tells of one job. */
export interface JobDescription {
  /** The next fire times (10), none when paused. */
  next: Date[];
  /** The last runs recorded, newest first. */
  recent: RunRecord[];
  /** Runs by outcome among the recent ones. */
  counters: Record<string, number>;
}

/** What `describe` tells of a key. */
export interface Description {
  /** One per job, in order. */
  jobs: JobDescription[];
  /** Whether the key is paused. */
  paused: boolean;
  /** Why, since when and by whom, when paused. */
  pause?: PauseNote;
  /** When the key was first defined. */
  created: Date;
  /** When it was last written. */
  updated: Date;
  /** Its bucket revision. */
  revision: number;
}

/** One revision of a key, as `revisions` yields them (newest first). */
export interface Revision {
  /** The bucket revision. */
  revision: number;
  /** When it was written. */
  at: Date;
  /** `PUT`, `DEL` or `PURGE`. */
  operation: string;
  /** Who wrote it, when they said. */
  by?: string;
  /** The pause note it holds. */
  note?: string;
  /** The definition written (absent for a deletion). */
  definition?: Definition;
}

/** The client calls the console uses, with the signatures of the govclient branch. */
export interface ConsoleSchedule
  extends Pick<Schedule, "namespace" | "list" | "get" | "history" | "remove"> {
  /** Defines `key`; with `expectedRevision`, only if the key is still at that revision. */
  set(
    key: string,
    jobs: Job[],
    options?: { expectedRevision?: number; by?: string },
  ): Promise<void>;
  /** Pauses `key`, noting why and who. */
  pause(key: string, options?: { note?: string; by?: string }): Promise<void>;
  /** Resumes `key`. */
  resume(key: string, options?: { by?: string }): Promise<void>;
  /** Fires job `index` (default 0) of `key` now. */
  trigger(
    key: string,
    options?: { index?: number; by?: string },
  ): Promise<Tick>;
  /** Fires the ticks of job `index` (default every job) in (`from`, `to`]; their count. */
  backfill(
    key: string,
    options: { from: Date; to: Date; index?: number; by?: string },
  ): Promise<number>;
  /** The key's jobs, next times, recent runs and pause note. */
  describe(key: string): Promise<Description>;
  /** The key's revisions, newest first. */
  revisions(key: string): AsyncIterable<Revision>;
  /** The namespace's events, until `signal` aborts. */
  events(options: { signal?: AbortSignal }): AsyncIterable<ScheduleEvent>;
}

/** The most ticks one backfill may fire. */
const BACKFILL_LIMIT = 1000;

/**
 * The client with the console's calls: `schedule` itself when it has them, else a
 * stand-in over `namespace` (the KV bucket and the job stream, as the client would).
 *
 * @example
 * ```ts ignore
 * const client = consoleSchedule(schedule, namespace, nc);
 * await client.pause("report", { note: "vendor outage", by: "ops" });
 * ```
 */
export function consoleSchedule(
  schedule: Schedule,
  namespace: Namespace,
  nc: NatsConnection,
): ConsoleSchedule {
  const full = schedule as unknown as Partial<ConsoleSchedule>;
  if (typeof full.describe === "function") return full as ConsoleSchedule;
  const { names, kv } = namespace;
  const specs = new SpecCache();
  const compile = specs.get.bind(specs);
  const read = async (key: string): Promise<KvEntry> => {
    const entry = await kv.get(key);
    if (entry === null || entry.operation !== "PUT") {
      throw new NotFoundError(
        `no schedule "${key}" in namespace ${names.namespace}`,
      );
    }
    return entry;
  };
  const decoded = (entry: KvEntry) => decodeStored(entry.value, compile);
  const publishTick = async (tick: Tick, id: string) => {
    await namespace.js.publish(
      names.jobSubject(tick.key, tick.index),
      encodeTick(tick),
      { msgID: id },
    );
  };
  const event = (e: Omit<ScheduleEvent, "at">) =>
    publishEvent(nc, names, { ...e, at: new Date() });
  return {
    get namespace() {
      return schedule.namespace;
    },
    list: () => schedule.list(),
    get: (key) => schedule.get(key),
    history: (key, options) => schedule.history(key, options),
    remove: (key) => schedule.remove(key),
    async set(key, jobs, options = {}) {
      if (options.expectedRevision !== undefined) {
        const entry = await kv.get(key);
        const current = entry?.operation === "PUT" ? entry.revision : 0;
        if (current !== options.expectedRevision) {
          throw new ScheduleError(
            `"${key}" was changed meanwhile (now revision ${current}); reload and edit again`,
          );
        }
      }
      await schedule.set(key, jobs);
    },
    async pause(key, options = {}) {
      const entry = await read(key);
      const { definition } = decoded(entry);
      if (definition.paused) return;
      const note: PauseNote = {
        at: new Date().toISOString(),
        ...options,
      };
      const { bytes } = encodeDefinition(
        {
          ...definition,
          paused: true,
          revision: definedRevision(definition, entry.revision),
        },
        compile,
      );
      const raw = JSON.parse(new TextDecoder().decode(bytes));
      await kv.update(
        key,
        JSON.stringify({ ...raw, pause: note, by: options.by }),
        entry.revision,
      );
      event({ type: "paused", key, by: options.by, detail: options.note });
    },
    async resume(key, options = {}) {
      await schedule.resume(key);
      event({ type: "resumed", key, by: options.by });
    },
    async trigger(key, options = {}) {
      const entry = await read(key);
      const { definition } = decoded(entry);
      const index = options.index ?? 0;
      const job = definition.jobs[index];
      if (job === undefined) {
        throw new NotFoundError(`"${key}" has no job ${index}`);
      }
      const tick: Tick = {
        ...job,
        namespace: names.namespace,
        key,
        index,
        scheduledAt: new Date(),
        revision: definedRevision(definition, entry.revision),
        trigger: "manual",
      };
      await publishTick(
        tick,
        names.tickId(key, index, tick.scheduledAt.getTime()),
      );
      event({ type: "triggered", key, index, by: options.by });
      return tick;
    },
    async backfill(key, options) {
      const entry = await read(key);
      const { definition, specs } = decoded(entry);
      const revision = definedRevision(definition, entry.revision);
      const anchor = definition.anchor.getTime();
      const to = options.to.getTime();
      const indexes = options.index === undefined
        ? definition.jobs.map((_, index) => index)
        : [options.index];
      const ticks: Tick[] = [];
      for (const index of indexes) {
        const job = definition.jobs[index];
        if (job === undefined) {
          throw new NotFoundError(`"${key}" has no job ${index}`);
        }
        const from = options.from.getTime();
        for (
          let at = firstTickAfter(specs[index], definition, from, from);
          at !== null && at <= to;
          at = nextTick(specs[index], anchor, at)
        ) {
          if (ticks.length === BACKFILL_LIMIT) {
            throw new ScheduleError(
              `a backfill fires at most ${BACKFILL_LIMIT} ticks: choose a shorter range`,
            );
          }
          ticks.push({
            ...job,
            namespace: names.namespace,
            key,
            index,
            scheduledAt: new Date(at),
            revision,
            trigger: "backfill",
          });
        }
      }
      for (const tick of ticks) {
        await publishTick(
          tick,
          `${
            names.tickId(key, tick.index, tick.scheduledAt.getTime())
          }.backfill`,
        );
      }
      event({ type: "backfilled", key, count: ticks.length, by: options.by });
      return ticks.length;
    },
    async describe(key) {
      const entry = await read(key);
      const { definition, specs } = decoded(entry);
      const recent = await schedule.history(key, { limit: 100 });
      let created = entry.created;
      for await (const revision of this.revisions(key)) {
        if (revision.operation !== "PUT") break;
        created = revision.at;
      }
      return {
        jobs: definition.jobs.map((_, index) => {
          const runs = recent.filter((run) => run.index === index);
          const counters: Record<string, number> = {};
          for (const run of runs) {
            counters[run.outcome] = (counters[run.outcome] ?? 0) + 1;
          }
          const next: Date[] = [];
          for (
            let at = firstTickAfter(
              specs[index],
              definition,
              entry.created.getTime(),
              Date.now(),
            );
            !definition.paused && at !== null && next.length < 10;
            at = nextTick(specs[index], definition.anchor.getTime(), at)
          ) next.push(new Date(at));
          return { next, recent: runs, counters };
        }),
        paused: definition.paused,
        ...(definition.paused && definition.pause
          ? { pause: definition.pause }
          : {}),
        created,
        updated: entry.created,
        revision: entry.revision,
      };
    },
    async *revisions(key) {
      const entries: KvEntry[] = [];
      for await (const entry of await kv.history({ key })) entries.push(entry);
      for (const entry of entries.reverse()) {
        if (entry.operation !== "PUT") {
          yield {
            revision: entry.revision,
            at: entry.created,
            operation: entry.operation,
          };
          continue;
        }
        try {
          const { definition } = decoded(entry);
          yield {
            revision: entry.revision,
            at: entry.created,
            operation: entry.operation,
            definition,
            ...(definition.by ? { by: definition.by } : {}),
            ...(definition.pause?.note ? { note: definition.pause.note } : {}),
          };
        } catch {
          yield {
            revision: entry.revision,
            at: entry.created,
            operation: entry.operation,
          };
        }
      }
    },
    events: ({ signal }) => followEvents(nc, names, signal),
  };
}

/** The pause note a stored definition holds, which this copy's codec does not read. */
function pauseNoteOf(value: Uint8Array): PauseNote | undefined {
  try {
    const raw = JSON.parse(new TextDecoder().decode(value));
    const pause = raw?.pause;
    return pause && typeof pause.at === "string" ? pause : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The definition of a stored entry with its pause note (the codec of the govclient
 * branch keeps it; this copy's drops it).
 *
 * @example
 * ```ts ignore
 * const { definition } = decodeStored(entry.value);
 * ```
 */
export function decodeStored(
  value: Uint8Array,
  compile?: Parameters<typeof decodeDefinition>[1],
): ReturnType<typeof decodeDefinition> {
  const decoded = decodeDefinition(value, compile);
  const pause = pauseNoteOf(value);
  if (pause && decoded.definition.paused) decoded.definition.pause = pause;
  return decoded;
}
