/**
 * One job of a definition being loaded, as the timer queue holds it: its tick encoder,
 * its rule, and its first tick to send, past the late ticks its catch-up policy skips.
 *
 * @module
 */

import type { NamespaceNames } from "../nats/names.ts";
import type { Spec } from "../spec/spec.ts";
import { firstRunAfter, nextTick, type Run } from "../spec/ticks.ts";
import type { Definition } from "../types.ts";
import {
  type CompiledDefinition,
  jobTickJson,
  type TickHead,
  tickJobFields,
} from "../wire/mod.ts";
import { advance, fireTime, type JobRule } from "./rule.ts";
import type { PreparedTick, Scheduled } from "./types.ts";

/** One definition being loaded. */
export interface Loading {
  key: string;
  definition: Definition;
  specs: CompiledDefinition["specs"];
  definedAt: number;
  /** The definition's revision, carried by its ticks (`definedRevision`). */
  revision: number;
  /** The bucket revision of the entry that holds it. */
  bucketRevision: number;
  now: number;
}

/** Where a job goes: what {@link scheduleJob} needs besides the definition. */
export interface JobPlace {
  /** The namespace's names, for the ticks' message ids. */
  names: NamespaceNames;
  /** The job's rule (its window, catch-up, jitter and bounds). */
  rule: JobRule;
  /** The job's first tick is after this time, in epoch ms. */
  after: number;
  /** Gives up late ticks the job's catch-up policy does not send (see `Sender.skip`). */
  skip: (item: Scheduled, first: number, last: number, reason: string) => void;
  /** Gives up late ticks whose send time is older than the job's window (`Sender.miss`). */
  miss: (item: Scheduled, first: number, last: number, reason: string) => void;
}

/**
 * Job `index` of `loading` at its first tick to send after `place.after`, or `null` when
 * it has none. Of its ticks late (sent by now by a node that ran all along: those before
 * the first whose send time, with its jitter, is still to come), `latest` sends the last
 * and `none` none.
 */
export function scheduleJob(
  loading: Loading,
  index: number,
  place: JobPlace,
): Scheduled | null {
  const { definition, definedAt, now } = loading;
  const { names, rule, after } = place;
  const spec = loading.specs[index];
  const first = firstRunAfter(spec, definition, definedAt, after, rule.bounds);
  if (first === null) return null;
  const item = new QueuedJob(loading, index, place, first);
  if (rule.catchup !== "all" && fireTime(names, item, first.at) <= now) {
    if (!skipLate(item, now, place)) return null;
  }
  item.firesAt = fireTime(names, item, item.due);
  item.sendAt = item.firesAt;
  return item;
}

/**
 * Job `index` of `loading` at its first tick, not to be queued: what the ticks given up
 * of a definition applied late are reported with when it has none left to send (they
 * all came due too long ago). `null` when it has no tick at all.
 */
export function firstJob(
  loading: Loading,
  index: number,
  place: JobPlace,
): Scheduled | null {
  const { definition, definedAt } = loading;
  const first = firstRunAfter(
    loading.specs[index],
    definition,
    definedAt,
    definedAt,
    place.rule.bounds,
  );
  if (first === null) return null;
  const item = new QueuedJob(loading, index, place, first);
  item.firesAt = item.sendAt = fireTime(place.names, item, item.due);
  return item;
}

/**
 * A job in the timer queue. A node holds a million of them, so each is one object with
 * its job's part of its ticks as one string (`tickJobFields`), no closure; its subject
 * and the rest of its ticks are made when they are sent. Of its times only `due` is
 * held as a time: `firesAt` and `sendAt` are kept as offsets from it, small integers
 * that V8 stores in the object, where each time would take a box of 16 bytes.
 */
class QueuedJob implements Scheduled, TickHead {
  readonly key: string;
  readonly index: number;
  readonly revision: number;
  readonly spec: Spec;
  readonly anchor: number;
  readonly rule: JobRule;
  readonly bucketRevision: number;
  due: number;
  run: number;
  backup = false;
  live = true;
  prepared: PreparedTick | undefined = undefined;
  readonly #names: NamespaceNames;
  readonly #fields: string;
  /** `firesAt - due`: the tick's jitter. */
  #jitter = 0;
  /** `sendAt - firesAt`: how much later this node sends it, as its backup, in whole ms. */
  #standby = 0;

  constructor(loading: Loading, index: number, place: JobPlace, first: Run) {
    const { definition } = loading;
    this.key = loading.key;
    this.index = index;
    this.revision = loading.revision;
    this.spec = loading.specs[index];
    this.anchor = definition.anchor.getTime();
    this.rule = place.rule;
    this.bucketRevision = loading.bucketRevision;
    this.due = first.at;
    this.run = first.run;
    this.#names = place.names;
    this.#fields = tickJobFields(definition.jobs[index]);
  }

  get firesAt(): number {
    return this.due + this.#jitter;
  }

  /** Set after `due`, which it follows. */
  set firesAt(at: number) {
    this.#jitter = wholeMs(at - this.due);
  }

  get sendAt(): number {
    return this.firesAt + this.#standby;
  }

  /**
   * Set after `firesAt`, which it follows; rounded up to a whole ms (a backup's times come
   * from the server's clock, in fractions of one).
   */
  set sendAt(at: number) {
    this.#standby = wholeMs(at - this.firesAt);
  }

  get namespace(): string {
    return this.#names.namespace;
  }

  get subject(): string {
    return this.#names.jobSubject(this.key, this.index);
  }

  tick(scheduledAt: Date, firesAt?: Date): string {
    return jobTickJson(this, this.#fields, scheduledAt, firesAt);
  }
}

/**
 * `ms` rounded up to a whole number, as a small integer: V8 keeps the result of a
 * subtraction of two times in a box of its own even when it is whole, and a field once
 * given a box gets one in every job.
 */
function wholeMs(ms: number): number {
  return Math.ceil(ms);
}

/**
 * Moves `item`, late at start (its first tick's send time is at or before `now`), to the
 * tick its catch-up policy sends, giving up those before: missed when their send time is
 * older than the job's window (lost to downtime, as under `catchup: all`), else skipped;
 * `false` when it has none left. A job's ticks go out in order, so the late ones end
 * before the first whose send time is to come: a running node sends that one and those
 * after it.
 */
function skipLate(item: Scheduled, now: number, place: JobPlace): boolean {
  const { names, rule } = place;
  const { spec } = item;
  const { bounds } = rule;
  // Late ticks, in order; the last is the latest.
  const late = [item.due];
  for (
    let at = nextTick(spec, item.anchor, item.due, item.run, bounds);
    at !== null && fireTime(names, item, at) <= now;
    at = nextTick(spec, item.anchor, at, item.run + late.length - 1, bounds)
  ) late.push(at);
  const latest = late.length - 1;
  const given = rule.catchup === "latest" ? late.slice(0, latest) : late;
  const old = given.findLastIndex((at) =>
    fireTime(names, item, at) < now - rule.window
  );
  const reason = `catchup ${rule.catchup}: late at start`;
  if (old >= 0) place.miss(item, given[0], given[old], reason);
  if (old < given.length - 1) {
    place.skip(item, given[old + 1], given.at(-1)!, reason);
  }
  item.due = late[latest];
  item.run += latest;
  return rule.catchup === "latest" || advance(names, item);
}
