import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { NatsServer } from "../../tests/nats_server.ts";
import { Namespace } from "./namespace.ts";

Deno.test("a read whose stream is deleted under it fails after its silence, not waits for ever", async () => {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  try {
    const namespace = await Namespace.open(nc, "beta");
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "reads", subjects: ["r.>"] });
    await Promise.all(
      Array.from(
        { length: 5_000 },
        (_, i) => namespace.js.publish(`r.${i}`, "{}"),
      ),
    );
    let read = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const reading = (async () => {
      for await (
        const _ of namespace.read("reads", "r.>", () => 1, { silence: 200 })
      ) {
        if (read++ === 0) await jsm.streams.delete("reads");
      }
    })();
    const hung = new Promise((resolve) => timer = setTimeout(resolve, 5_000));
    try {
      const outcome = await Promise.race([
        reading.then(() => "ended", (err: Error) => err.message),
        hung.then(() => "still waiting"),
      ]);
      assert.match(
        String(outcome),
        /reads sent nothing for 200 ms|stream not found/,
      );
      assert.ok(read < 5_000, `${read} read`);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await nc.close();
  }
});
