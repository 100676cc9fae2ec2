import assert from "node:assert/strict";
import type { KvEntry } from "@nats-io/kv";
import type { Namespace } from "../nats/namespace.ts";
import { createLogger } from "../ops/log.ts";
import type { Tick } from "../types.ts";
import { superseded } from "./superseded.ts";
import { TICK } from "./_fixtures.ts";

const tick: Tick = { ...TICK, revision: 4 };

const log = createLogger({ write: () => {} });

/** A namespace whose bucket answers `get` with `entry`, or throws it. */
function namespace(entry: Partial<KvEntry> | null | Error): Namespace {
  const get = () =>
    entry instanceof Error ? Promise.reject(entry) : Promise.resolve(entry);
  return { kv: { get } } as unknown as Namespace;
}

/** A stored definition entry at KV `revision`, of definition `defined` when given. */
function stored(revision: number, defined?: number): Partial<KvEntry> {
  const value = defined === undefined ? {} : { revision: defined };
  return {
    operation: "PUT",
    revision,
    value: new TextEncoder().encode(JSON.stringify({ version: 1, ...value })),
  };
}

Deno.test("superseded: a tick of the current definition may run", async () => {
  assert.equal(await superseded(namespace(stored(4)), log, tick), null);
  assert.equal(await superseded(namespace(stored(6, 4)), log, tick), null);
});

Deno.test("superseded: a tick without a revision may run", async () => {
  const { revision: _, ...older } = tick;
  assert.equal(await superseded(namespace(null), log, older), null);
});

Deno.test("superseded: a removed or replaced definition says why", async () => {
  assert.equal(
    await superseded(namespace(null), log, tick),
    "definition removed since revision 4",
  );
  assert.equal(
    await superseded(namespace({ operation: "DEL", revision: 5 }), log, tick),
    "definition removed since revision 4",
  );
  assert.equal(
    await superseded(namespace(stored(7)), log, tick),
    "definition replaced: revision 4 by 7",
  );
});

Deno.test("superseded: a bucket that cannot be read lets the tick run", async () => {
  assert.equal(
    await superseded(namespace(new Error("timeout")), log, tick),
    null,
  );
});
