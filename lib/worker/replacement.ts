/**
 * The tick that replaces a tick of a replaced definition: a `set` that races the nodes.
 *
 * @module
 */

import { ScheduleError } from "../errors.ts";
import type { NamespaceNames } from "../nats/names.ts";
import { policyJitter, sendTime } from "../spec/jitter.ts";
import { firstTickAfter } from "../spec/ticks.ts";
import type { Tick } from "../types.ts";
import { decodeDefinition, definedRevision } from "../wire/mod.ts";
import { triggerOf } from "../wire/tick.ts";
import type { DefinitionEntry } from "./superseded.ts";

/**
 * The tick that the definition `entry` holds, stored after `tick`'s own, has at
 * `tick`'s time and index, as its nodes would have made it; `null` when it has none (it
 * is paused or not valid, has no such job, or that job does not tick then by the tick
 * rule, which counts from the moment it was stored), or when `tick` is not a scheduled
 * one. A node that fired `tick` before it saw the `set` made the old definition's copy
 * of a tick whose id the new one shares, so the stream kept that copy, not the new one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { replacementTick } from "./replacement.ts";
 * import { NamespaceNames } from "../nats/names.ts";
 * import { encodeDefinition } from "../wire/definition.ts";
 * const job = { mode: "log", spec: "* * * * * *", option: {} };
 * const stored = (url: string) => ({
 *   operation: "PUT" as const,
 *   revision: 7,
 *   created: new Date("2030-01-01T00:00:00.000Z"),
 *   value: encodeDefinition({
 *     jobs: [{ ...job, option: { url } }],
 *     anchor: new Date(0),
 *     paused: false,
 *   }).bytes,
 * });
 * const tick = {
 *   ...job, namespace: "beta", key: "test", index: 0, revision: 4,
 *   scheduledAt: new Date("2030-01-01T00:00:01.000Z"),
 * };
 * const names = new NamespaceNames("beta");
 * const replacing = replacementTick(tick, stored("https://example.com"), names);
 * assert.equal(replacing?.revision, 7);
 * assert.deepEqual(replacing?.option, { url: "https://example.com" });
 * const before = { ...tick, scheduledAt: new Date("2030-01-01T00:00:00.000Z") };
 * assert.equal(replacementTick(before, stored("https://example.com"), names), null);
 * ```
 */
export function replacementTick(
  tick: Tick,
  entry: DefinitionEntry,
  names: NamespaceNames,
): Tick | null {
  if (triggerOf(tick) !== "schedule") return null;
  let decoded;
  try {
    decoded = decodeDefinition(entry.value);
  } catch (err) {
    if (err instanceof ScheduleError) return null;
    throw err;
  }
  const { definition, specs } = decoded;
  const { key, index } = tick;
  const job = definition.jobs[index];
  if (definition.paused || job === undefined) return null;
  const at = tick.scheduledAt.getTime();
  const definedAt = entry.created.getTime();
  const first = firstTickAfter(
    specs[index],
    definition,
    definedAt,
    at - 1,
    job.policy,
  );
  if (first !== at) return null;
  const jitter = policyJitter(job.policy);
  return {
    ...job,
    namespace: tick.namespace,
    key,
    index,
    revision: definedRevision(definition, entry.revision),
    scheduledAt: tick.scheduledAt,
    ...(jitter === 0 ? {} : {
      firesAt: new Date(
        sendTime(
          specs[index],
          definition.anchor.getTime(),
          names.tickId(key, index, at),
          at,
          jitter,
        ),
      ),
    }),
  };
}
