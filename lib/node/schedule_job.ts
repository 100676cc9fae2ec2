/**
 * One job of a definition being loaded, as the timer queue holds it: its tick encoder,
 * its rule, and its first tick to send, past the late ticks its catch-up policy skips.
 *
 * @module
 */

import type { NamespaceNames } from "../nats/names.ts";
import { firstRunAfter, nextTick } from "../spec/ticks.ts";
import type { Definition } from "../types.ts";
import { type CompiledDefinition, tickEncoder } from "../wire/mod.ts";
import { advance, fireTime, type JobRule } from "./rule.ts";
import type { Scheduled } from "./types.ts";

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
  /** The job's subject. */
  subject: string;
  /** The job's first tick is after this time, in epoch ms. */
  after: number;
  /** Gives up late ticks the job's catch-up policy does not send (see `Sender.skip`). */
  skip: (item: Scheduled, first: number, last: number, reason: string) => void;
}

/**
 * Job `index` of `loading` at its first tick to send after `place.after`, or `null` when
 * it has none. Of its ticks scheduled by now (late), `latest` sends the last and `none`
 * none.
 */
export function scheduleJob(
  loading: Loading,
  index: number,
  place: JobPlace,
): Scheduled | null {
  const { key, definition, definedAt, now, revision, bucketRevision } = loading;
  const { names, rule, subject, after } = place;
  const job = definition.jobs[index];
  const spec = loading.specs[index];
  const first = firstRunAfter(spec, definition, definedAt, after, rule.bounds);
  if (first === null) return null;
  const item: Scheduled = {
    key,
    index,
    spec,
    anchor: definition.anchor.getTime(),
    subject,
    encode: tickEncoder({
      ...job,
      namespace: names.namespace,
      key,
      index,
      revision,
    }),
    rule,
    bucketRevision,
    due: first.at,
    run: first.run,
    firesAt: 0,
    sendAt: 0,
    backup: false,
    live: true,
  };
  if (rule.catchup !== "all" && first.at <= now) {
    if (!skipLate(item, now, place)) return null;
  }
  item.firesAt = item.sendAt = fireTime(names, item, item.due);
  return item;
}

/**
 * Moves `item`, late at start (its first tick is at or before `now`), to the tick its
 * catch-up policy sends, skipping those before; `false` when it has none left.
 */
function skipLate(item: Scheduled, now: number, place: JobPlace): boolean {
  const { names, rule, skip } = place;
  const { spec } = item;
  const { bounds } = rule;
  const first = { at: item.due, run: item.run };
  // Late ticks: the last at or before now is the latest.
  let latest = first.at;
  let latestRun = first.run;
  for (
    let at = nextTick(spec, item.anchor, latest, latestRun, bounds);
    at !== null && at <= now;
    at = nextTick(spec, item.anchor, at, latestRun, bounds)
  ) {
    latest = at;
    latestRun++;
  }
  const reason = `catchup ${rule.catchup}: late at start`;
  if (rule.catchup === "latest") {
    if (latest > first.at) {
      const before = previousTick(item, first.at, latest);
      skip(item, first.at, before, reason);
    }
    item.due = latest;
    item.run = latestRun;
  } else {
    skip(item, first.at, latest, reason);
    item.due = latest;
    item.run = latestRun;
    if (!advance(names, item)) return false;
  }
  return true;
}

/** The tick of `item` before `tick`, from `first` on (`tick` is after `first`). */
function previousTick(item: Scheduled, first: number, tick: number): number {
  let previous = first;
  for (
    let at = nextTick(item.spec, item.anchor, first);
    at !== null && at < tick;
    at = nextTick(item.spec, item.anchor, at)
  ) previous = at;
  return previous;
}
