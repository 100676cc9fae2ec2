import assert from "node:assert/strict";
import { NatsServer } from "../../tests/nats_server.ts";
import { recordingLogger, waitFor } from "../../tests/helpers.ts";
import { Namespace } from "../nats/namespace.ts";
import { type Settled, SETTLED_KEY, SettledRecord } from "./settled.ts";

Deno.test("the nodes' record: written every interval and at stop, only forward; foreign data reads as none; a bucket deleted is created again", async () => {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  try {
    const namespace = await Namespace.open(nc, "beta");
    let settled: Settled | null = null;
    const record = new SettledRecord({
      namespace,
      settled: () => settled,
      log: recordingLogger(),
      interval: 20,
    });
    assert.equal(await record.read(), null, "none yet");
    record.start();
    settled = { through: 1000, bucket: "b", revision: 3, node: "n1" };
    await waitFor(
      "the record",
      async () => (await record.read())?.through === 1000,
    );
    settled = { ...settled, through: 900 };
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal((await record.read())?.through, 1000, "never back");
    settled = { through: 2000, bucket: "b", revision: 4, node: "n1" };
    await record.stop();
    assert.deepEqual(await record.read(), settled, "written at stop");
    const kv = await namespace.nodeState();
    await kv.put(SETTLED_KEY, "not a record");
    assert.equal(await record.read(), null);
    // The bucket deleted under the node: created again by the next writes.
    await namespace.jsm.streams.delete(`KV_${namespace.names.nodesBucket}`);
    const again = new SettledRecord({
      namespace,
      settled: () => settled,
      log: recordingLogger(),
      interval: 20,
    });
    again.start();
    settled = { ...settled, through: 3000 };
    const bucket = namespace.names.nodesBucket;
    await waitFor("the record written again", async () => {
      const stored = await namespace.jsm.streams.getMessage(`KV_${bucket}`, {
        last_by_subj: `$KV.${bucket}.${SETTLED_KEY}`,
      }).catch(() => null);
      return stored?.json<Settled>().through === 3000;
    });
    await again.stop();
  } finally {
    await nc.close();
  }
});
