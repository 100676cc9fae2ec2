import assert from "node:assert/strict";
import type { KvEntry } from "@nats-io/kv";
import type { Msg } from "@nats-io/nats-core";
import type { Namespace } from "../nats/namespace.ts";
import { NamespaceNames } from "../nats/names.ts";
import { createLogger } from "../ops/log.ts";
import type { Tick } from "../types.ts";
import { encodeDefinition } from "../wire/definition.ts";
import {
  definitionReader,
  type ReadDefinition,
  standing,
} from "./superseded.ts";
import { TICK } from "./_fixtures.ts";

const tick: Tick = { ...TICK, revision: 4 };

const lines: string[] = [];
const log = createLogger({ write: (line) => lines.push(line) });
const names = new NamespaceNames("beta");

/** Why `tick` does not run with the definition `read` reads; `null` when it runs as it is. */
async function why(
  read: ReadDefinition,
  tick: Tick,
): Promise<string | null> {
  const found = await standing(read, names, log, tick);
  if ("superseded" in found) return found.superseded;
  assert.equal(found.tick, tick);
  return null;
}

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
    created: new Date(0),
    value: new TextEncoder().encode(JSON.stringify({ version: 1, ...value })),
  };
}

Deno.test("standing: a tick of the current definition may run", async () => {
  assert.equal(await why(reading(stored(4)), tick), null);
  assert.equal(await why(reading(stored(6, 4)), tick), null);
});

Deno.test("standing: a tick without a revision may run", async () => {
  const { revision: _, ...older } = tick;
  assert.equal(await why(reading(null), older), null);
});

Deno.test("standing: a removed or replaced definition says why", async () => {
  assert.equal(
    await why(reading(null), tick),
    "definition removed since revision 4",
  );
  assert.equal(
    await why(reading({ operation: "DEL", revision: 5 }), tick),
    "definition removed since revision 4",
  );
  assert.equal(
    await why(reading(stored(7)), tick),
    "definition replaced: revision 4 by 7",
  );
});

Deno.test("standing: a tick of a definition replaced by one ticking then too runs as the new one's", async () => {
  const every = (url: string) => ({
    operation: "PUT" as const,
    revision: 7,
    created: new Date("2029-12-31T23:59:59.500Z"),
    value: encodeDefinition({
      jobs: [{ ...TICK, spec: "* * * * * *", option: { url } }],
      anchor: new Date(0),
      paused: false,
    }).bytes,
  });
  lines.length = 0;
  const found = await standing(reading(every("new")), names, log, tick);
  assert.ok("tick" in found);
  assert.equal(found.tick.revision, 7);
  assert.deepEqual(found.tick.option, { url: "new" });
  assert.equal(found.tick.scheduledAt, tick.scheduledAt);
  assert.match(lines.join(), /runs as its replacement's.*"replacedBy":7/);
  const hourly = every("new");
  hourly.created = new Date("2030-01-01T00:00:00.000Z"); // stored at the tick: none then
  assert.equal(
    await why(reading(hourly), tick),
    "definition replaced: revision 4 by 7",
  );
});

Deno.test("standing: a bucket that cannot be read lets the tick run", async () => {
  assert.equal(
    await why(reading(new Error("timeout")), tick),
    null,
  );
});

/** A direct get's answer: the stored message of `subject` with its headers. */
function directAnswer(seq: number, data: string, operation?: string) {
  const headers = new Map([
    ["Nats-Sequence", String(seq)],
    ["Nats-Time-Stamp", "2030-01-01T00:00:00.5Z"],
  ]);
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
  assert.equal(found?.created.toISOString(), "2030-01-01T00:00:00.500Z");
  assert.equal(new TextDecoder().decode(found?.value), "{}");
  assert.equal((await read("test"))?.operation, "DEL");
  assert.equal(await read("test"), null);
  assert.equal((await read("test"))?.revision, 9, "read with kv.get");
  const bucket = new NamespaceNames("beta").bucket;
  assert.deepEqual(asked, Array(4).fill(`$KV.${bucket}.test`));
});
