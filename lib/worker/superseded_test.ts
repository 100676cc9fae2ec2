import assert from "node:assert/strict";
import type { KvEntry } from "@nats-io/kv";
import type { Msg } from "@nats-io/nats-core";
import type { Namespace } from "../nats/namespace.ts";
import { NamespaceNames } from "../nats/names.ts";
import { createLogger } from "../ops/log.ts";
import type { Tick } from "../types.ts";
import {
  definitionReader,
  type ReadDefinition,
  superseded,
} from "./superseded.ts";
import { TICK } from "./_fixtures.ts";

const tick: Tick = { ...TICK, revision: 4 };

const log = createLogger({ write: () => {} });

/** A reader answering with `entry`, or throwing it. */
function reading(entry: Partial<KvEntry> | null | Error): ReadDefinition {
  return () =>
    entry instanceof Error
      ? Promise.reject(entry)
      : Promise.resolve(entry as KvEntry | null);
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
  assert.equal(await superseded(reading(stored(4)), log, tick), null);
  assert.equal(await superseded(reading(stored(6, 4)), log, tick), null);
});

Deno.test("superseded: a tick without a revision may run", async () => {
  const { revision: _, ...older } = tick;
  assert.equal(await superseded(reading(null), log, older), null);
});

Deno.test("superseded: a removed or replaced definition says why", async () => {
  assert.equal(
    await superseded(reading(null), log, tick),
    "definition removed since revision 4",
  );
  assert.equal(
    await superseded(reading({ operation: "DEL", revision: 5 }), log, tick),
    "definition removed since revision 4",
  );
  assert.equal(
    await superseded(reading(stored(7)), log, tick),
    "definition replaced: revision 4 by 7",
  );
});

Deno.test("superseded: a bucket that cannot be read lets the tick run", async () => {
  assert.equal(
    await superseded(reading(new Error("timeout")), log, tick),
    null,
  );
});

/** A direct get's answer: the stored message of `subject` with its headers. */
function directAnswer(seq: number, data: string, operation?: string) {
  const headers = new Map([["Nats-Sequence", String(seq)]]);
  if (operation) headers.set("KV-Operation", operation);
  return {
    headers: { get: (name: string) => headers.get(name) ?? "" },
    data: new TextEncoder().encode(data),
  } as unknown as Msg;
}

Deno.test("definitionReader: a direct get of the key's subject, kv.get when it fails", async () => {
  const asked: string[] = [];
  const answers: (Msg | null | Error)[] = [
    directAnswer(4, "{}"),
    directAnswer(5, "", "DEL"),
    null,
    new Error("no JetStream stream answers"),
  ];
  const reader = {
    last(subject: string) {
      asked.push(subject);
      const answer = answers.shift()!;
      return answer instanceof Error
        ? Promise.reject(answer)
        : Promise.resolve(answer);
    },
  };
  const kv = { get: () => Promise.resolve(stored(9)) };
  const read = definitionReader(reader, {
    kv,
    names: new NamespaceNames("beta"),
  } as unknown as Pick<Namespace, "kv" | "names">);
  const found = await read("test");
  assert.equal(found?.operation, "PUT");
  assert.equal(found?.revision, 4);
  assert.equal(new TextDecoder().decode(found?.value), "{}");
  assert.equal((await read("test"))?.operation, "DEL");
  assert.equal(await read("test"), null);
  assert.equal((await read("test"))?.revision, 9, "read with kv.get");
  const bucket = new NamespaceNames("beta").bucket;
  assert.deepEqual(asked, Array(4).fill(`$KV.${bucket}.test`));
});
