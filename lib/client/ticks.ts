/**
 * Firing ticks from the client: a manual trigger now, and a backfill of a past range.
 *
 * @module
 */

import {
  assertFits,
  decodeRunRecord,
  decodeTick,
  definedRevision,
  tickEncoder,
} from "../wire/mod.ts";
import { isRecord, quoted } from "../_util.ts";
import { InvalidBackfillError } from "../errors.ts";
import { policyJitter, sendTime } from "../spec/jitter.ts";
import type { Spec } from "../spec/spec.ts";
import { tickBounds } from "../spec/ticks.ts";
import type { Definition, Tick, TickTrigger } from "../types.ts";
import { backfillTicks, backfillTime, firstUnsent } from "./backfill.ts";
import type { BackfillOptions, TriggerOptions } from "./options.ts";
import {
  checkBy,
  type Client,
  jobIndex,
  namespaceOf,
  readDefinition,
  readStream,
  sendEvent,
} from "./_util.ts";

/** Runs job `index` of `key` now (see `Schedule.trigger`). */
export async function triggerJob(
  client: Client,
  key: string,
  options: TriggerOptions,
): Promise<Tick> {
  const { by } = options;
  checkBy(by);
  const { entry, definition } = await readDefinition(client, key);
  const index = jobIndex(key, definition, options.index ?? 0);
  const scheduledAt = new Date();
  const tick = tickOf(client, key, index, entry.revision, definition, "manual");
  const id = `${
    client.namespace.names.tickId(key, index, scheduledAt.getTime())
  }.manual.${crypto.randomUUID()}`;
  await publishTick(client, tick, scheduledAt, id);
  sendEvent(client, { type: "triggered", key, index, scheduledAt, by });
  return { ...tick, scheduledAt };
}

/** Fires the ticks of a past range (see `Schedule.backfill`); returns how many. */
export async function backfillKey(
  client: Client,
  key: string,
  options: BackfillOptions,
): Promise<number> {
  if (!isRecord(options)) {
    throw new InvalidBackfillError(
      "backfill needs its range: backfill(key, { from, to })",
    );
  }
  const { by } = options;
  checkBy(by);
  const from = backfillTime(options.from, "from");
  const to = backfillTime(options.to, "to");
  const { entry, definition, specs } = await readDefinition(client, key);
  const indexes = options.index === undefined
    ? definition.jobs.map((_, index) => index)
    : [jobIndex(key, definition, options.index)];
  const bounds = indexes.map((index) =>
    tickBounds(definition.jobs[index].policy)
  );
  const times = backfillTicks(
    indexes.map((index) => specs[index]),
    definition.anchor.getTime(),
    from,
    to,
    Date.now(),
    bounds,
  );
  for (const [i, index] of indexes.entries()) {
    checkSent(client, key, index, { definition, spec: specs[index] }, {
      since: Math.max(entry.created.getTime(), bounds[i].start - 1),
      times: times[i],
    });
  }
  const range = `${new Date(from).toISOString()} to ${
    new Date(to).toISOString()
  }`;
  let total = 0;
  for (const [i, index] of indexes.entries()) {
    const tick = tickOf(
      client,
      key,
      index,
      entry.revision,
      definition,
      "backfill",
    );
    total += await backfillJob(client, tick, times[i], { by, detail: range });
  }
  return total;
}

/**
 * Fires `tick` at each of `times` that has no tick in the queue nor a run record, and
 * publishes a `backfilled` event when any was; returns how many the job stream took (not
 * dropped as duplicates).
 */
async function backfillJob(
  client: Client,
  tick: Omit<Tick, "scheduledAt">,
  times: number[],
  { by, detail }: { by?: string; detail: string },
): Promise<number> {
  const { key, index } = tick;
  const done = await ranTimes(client, key, index);
  let count = 0;
  for (const time of times) {
    if (done.has(time)) continue;
    const duplicate = await publishTick(
      client,
      tick,
      new Date(time),
      client.namespace.names.tickId(key, index, time),
    );
    if (!duplicate) count++;
  }
  if (count > 0) {
    sendEvent(client, { type: "backfilled", key, index, count, by, detail });
  }
  return count;
}

/**
 * Refuses to backfill `times` of job `index` when the node has yet to send one of them
 * (a job with jitter sends its tick up to the jitter late): the stream would keep the
 * backfilled tick and the node's, sent after the duplicate window. A paused key's node
 * sends none: once resumed, only ticks after the resume.
 */
function checkSent(
  client: Client,
  key: string,
  index: number,
  { definition, spec }: { definition: Definition; spec: Spec },
  { since, times }: { since: number; times: number[] },
): void {
  if (times.length === 0 || definition.paused) return;
  const { names } = client.namespace;
  const jitter = policyJitter(definition.jobs[index].policy);
  const to = times[times.length - 1];
  const first = firstUnsent(
    spec,
    definition.anchor.getTime(),
    since,
    to,
    jitter,
    (at) =>
      sendTime(
        spec,
        definition.anchor.getTime(),
        names.tickId(key, index, at),
        at,
        jitter,
      ),
    Date.now(),
  );
  if (first === null) return;
  const unsent = times.find((at) => at >= first)!;
  throw new InvalidBackfillError(
    `backfill: job ${index} of ${
      quoted(key)
    }: the node has not sent its tick of ${
      new Date(unsent).toISOString()
    } yet (a jitter of ${jitter} ms delays it): end the range before it, or retry after ${
      new Date(to + jitter).toISOString()
    }`,
  );
}

/** The tick of job `index` of `definition`, all but its time. */
function tickOf(
  client: Client,
  key: string,
  index: number,
  entryRevision: number,
  definition: Definition,
  trigger: TickTrigger,
): Omit<Tick, "scheduledAt"> {
  return {
    ...definition.jobs[index],
    namespace: namespaceOf(client),
    key,
    index,
    revision: definedRevision(definition, entryRevision),
    trigger,
  };
}

/** Publishes a tick; returns true when the stream already held its id. */
async function publishTick(
  client: Client,
  tick: Omit<Tick, "scheduledAt">,
  scheduledAt: Date,
  msgID: string,
): Promise<boolean> {
  const bytes = tickEncoder(tick)(scheduledAt);
  assertFits(
    bytes,
    client.namespace.maxPayload,
    `a tick of job ${tick.index} of ${quoted(tick.key)}`,
    msgID,
  );
  const { names, js } = client.namespace;
  const ack = await js.publish(
    names.jobSubject(tick.key, tick.index),
    bytes,
    {
      msgID,
    },
  );
  return ack.duplicate;
}

/**
 * The times of job `index` of `key` that have a tick in the queue or a run record (a
 * stream deleted under the client holds none).
 */
async function ranTimes(
  client: Client,
  key: string,
  index: number,
): Promise<Set<number>> {
  const { names } = client.namespace;
  const times = new Set<number>();
  const at = (written: { scheduledAt: Date }) =>
    times.add(written.scheduledAt.getTime());
  for await (
    const tick of readStream(
      client,
      names.jobStream,
      names.jobSubject(key, index),
      decodeTick,
    )
  ) at(tick);
  for await (
    const run of readStream(
      client,
      names.runStream,
      names.runSubject(key, index),
      decodeRunRecord,
    )
  ) at(run);
  return times;
}
