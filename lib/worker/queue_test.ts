import assert from "node:assert/strict";
import { jetstream } from "@nats-io/jetstream";
import { NatsServer } from "../../tests/nats_server.ts";
import { recordingLogger, waitFor } from "../../tests/helpers.ts";
import { Namespace } from "../nats/namespace.ts";
import { JobQueue } from "./queue.ts";

Deno.test("JobQueue provisions a deleted consumer again and goes on, not ready meanwhile", async () => {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  const namespace = await Namespace.open(nc, "beta");
  const { names, jsm } = namespace;
  const log = recordingLogger();
  const gate = Promise.withResolvers<void>();
  const gated = {
    js: namespace.js,
    names,
    provisionQueue: async () => {
      await gate.promise;
      return await namespace.provisionQueue();
    },
  };
  const queue = await JobQueue.open(gated, {
    maxMessages: 4,
    log,
    closed: () => nc.isClosed(),
  });
  const seen: string[] = [];
  const consuming = (async () => {
    for await (const message of queue) {
      seen.push(message.subject);
      message.ack();
    }
  })();
  const js = jetstream(nc);
  await js.publish(names.jobSubject("a", 0), "1");
  await waitFor("the first message", () => seen.length === 1);
  await jsm.consumers.delete(names.jobStream, names.workerConsumer);
  await waitFor("not ready", () => !queue.ready, 5000);
  gate.resolve();
  await waitFor("the consumer back", async () => {
    try {
      await jsm.consumers.info(names.jobStream, names.workerConsumer);
      return true;
    } catch {
      return false;
    }
  }, 5000);
  await js.publish(names.jobSubject("b", 0), "2");
  await waitFor(
    "the later message",
    () => seen.includes(names.jobSubject("b", 0)),
  );
  assert.ok(queue.ready);
  const messages = log.lines.map((line) => line.msg);
  assert.ok(
    messages.includes(
      "job queue lost; provisioning the stream and the consumer again",
    ),
    JSON.stringify(log.lines),
  );
  assert.ok(messages.includes("job queue restored"));
  assert.equal(
    log.lines.find((line) =>
      line.msg ===
        "job queue lost; provisioning the stream and the consumer again"
    )?.reason,
    "consumer deleted",
  );
  queue.stop();
  await consuming;
  assert.equal(queue.ready, false, "a stopped queue is not ready");
  await nc.close();
});
