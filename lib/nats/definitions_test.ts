import assert from "node:assert/strict";
import { NotFoundError } from "../errors.ts";
import { HttpJob } from "../jobs/http/job.ts";
import { Schedule } from "../client/schedule.ts";
import type { KV } from "@nats-io/kv";
import {
  decodeDefinition,
  definedRevision,
  encodeDefinition,
} from "../wire/mod.ts";
import { NatsServer } from "../../tests/nats_server.ts";
import {
  pauseDefinition,
  readDefinitionEntry,
  updateDefinition,
} from "./definitions.ts";
import { isConflict } from "./kv_change.ts";
import { Namespace } from "./namespace.ts";

Deno.test("updateDefinition and pauseDefinition: revision-checked, retried on conflict, note kept", async () => {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  const namespace = await Namespace.open(nc, "beta");
  const schedule = await Schedule.create("beta", nc);
  await schedule.set("k", HttpJob("@hourly", { url: "https://example.com" }));
  const set = await readDefinitionEntry(namespace, "k");

  // A writer that loses a race reads again and applies its change to the newer value.
  const kv = namespace.kv;
  let interfered = false;
  const racing = {
    names: namespace.names,
    maxPayload: namespace.maxPayload,
    kv: {
      get: (k: string) => kv.get(k),
      create: (k: string, v: Uint8Array) => kv.create(k, v),
      async update(k: string, v: Uint8Array, revision: number) {
        if (!interfered) {
          interfered = true;
          const { definition } = decodeDefinition(v);
          await kv.put(
            k,
            encodeDefinition({ ...definition, by: "other" }).bytes,
          );
        }
        return await kv.update(k, v, revision);
      },
    } as unknown as KV,
  };
  const seen: (string | undefined)[] = [];
  const changed = await updateDefinition(racing, "k", (definition) => {
    seen.push(definition.by);
    return { ...definition, paused: true };
  });
  assert.deepEqual(seen, [undefined, "other"], "read again after the conflict");
  assert.equal(changed.by, "other");
  assert.equal(changed.revision, set.revision, "the set's revision is kept");
  await schedule.resume("k");

  // With an expected revision, a conflict is thrown.
  await assert.rejects(
    updateDefinition(namespace, "k", (d) => ({ ...d, by: "x" }), 1),
    (err) => isConflict(err),
  );

  const note = { note: "why", at: new Date(0).toISOString(), by: "worker w1" };
  const current = definedRevision(
    decodeDefinition((await readDefinitionEntry(namespace, "k")).value)
      .definition,
    (await readDefinitionEntry(namespace, "k")).revision,
  );
  assert.equal(
    await pauseDefinition(namespace, "k", note, current - 1),
    false,
    "not a definition other than the one named",
  );
  assert.equal(await pauseDefinition(namespace, "k", note, current), true);
  assert.equal(
    await pauseDefinition(namespace, "k", { ...note, note: "again" }),
    false,
  );
  const { definition } = decodeDefinition(
    (await readDefinitionEntry(namespace, "k")).value,
  );
  assert.equal(definition.paused, true);
  assert.deepEqual(definition.pause, note);
  assert.equal(definition.by, "worker w1");

  await schedule.resume("k");
  const resumed = decodeDefinition(
    (await readDefinitionEntry(namespace, "k")).value,
  ).definition;
  assert.equal(resumed.paused, false);
  assert.equal(resumed.pause, undefined, "a resume clears the note");

  await assert.rejects(
    pauseDefinition(namespace, "missing", note),
    NotFoundError,
  );
  await nc.close();
});
