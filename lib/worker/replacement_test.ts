import assert from "node:assert/strict";
import { NamespaceNames } from "../nats/names.ts";
import { jitterOffset } from "../spec/jitter.ts";
import { parseSpec } from "../spec/spec.ts";
import type { Definition, Job, Tick } from "../types.ts";
import { encodeDefinition } from "../wire/definition.ts";
import type { DefinitionEntry } from "./superseded.ts";
import { replacementTick } from "./replacement.ts";
import { TICK } from "./_fixtures.ts";

const names = new NamespaceNames("beta");
const second: Job = { ...TICK, spec: "* * * * * *", option: { to: "new" } };
const tick: Tick = { ...TICK, revision: 4 };
const at = TICK.scheduledAt.getTime();

/** A definition stored at KV revision 7, 500 ms before the tick. */
function stored(
  definition: Partial<Definition>,
  created = new Date(at - 500),
): DefinitionEntry {
  return {
    operation: "PUT",
    revision: 7,
    created,
    value: encodeDefinition({
      jobs: [second],
      anchor: new Date(0),
      paused: false,
      ...definition,
    }).bytes,
  };
}

Deno.test("replacementTick: the new definition's tick at the same time and index", () => {
  const replacing = replacementTick(tick, stored({}), names);
  assert.deepEqual(replacing, {
    ...second,
    namespace: "beta",
    key: "test",
    index: 0,
    revision: 7,
    scheduledAt: TICK.scheduledAt,
  });
  const paused = stored({ revision: 6, paused: false });
  assert.equal(replacementTick(tick, paused, names)?.revision, 6, "its set's");
});

Deno.test("replacementTick: with the new job's jitter, fired when its nodes would", () => {
  const jittered = { ...second, policy: { jitter: "30s" } };
  const replacing = replacementTick(tick, stored({ jobs: [jittered] }), names);
  // A delay under the jitter and under the second to the next tick, as the nodes send it.
  const offset = jitterOffset(names.tickId("test", 0, at), 1000);
  assert.equal(replacing?.firesAt?.getTime(), at + offset);
  assert.ok(parseSpec(second.spec).next(at)! - at === 1000);
  assert.deepEqual(replacing?.policy, { jitter: "30s" });
});

Deno.test("replacementTick: none when the new definition has no such tick", () => {
  const none = (entry: DefinitionEntry, of = tick) =>
    assert.equal(replacementTick(of, entry, names), null);
  none(stored({ paused: true }));
  none(stored({ jobs: [{ ...second, policy: { end: new Date(at - 1) } }] }));
  none(stored({}), { ...tick, index: 1 });
  none(stored({ jobs: [{ ...second, spec: "0 0 * * * *" }] }), {
    ...tick,
    scheduledAt: new Date(at + 1000),
  });
  none(stored({}, TICK.scheduledAt), tick); // stored at the tick: its ticks come after
  none(stored({ jobs: [{ ...second, policy: { start: new Date(at + 1) } }] }));
  none(stored({}), { ...tick, trigger: "manual" });
  none(stored({}), { ...tick, trigger: "backfill" });
  none({ ...stored({}), value: new TextEncoder().encode("{}") });
});
