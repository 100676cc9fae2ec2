import assert from "node:assert/strict";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstreamManager } from "@nats-io/jetstream";
import { NatsServer } from "../../tests/nats_server.ts";
import { Namespace } from "./namespace.ts";
import {
  type Ack,
  DisconnectedError,
  StreamSender,
  UnsupportedClientError,
} from "./stream_sender.ts";
import { waitFor } from "../../tests/helpers.ts";

const encoder = new TextEncoder();
const payload = encoder.encode("{}");

async function withStream(
  fn: (nc: NatsConnection, namespace: Namespace) => Promise<void>,
): Promise<void> {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  try {
    await fn(nc, await Namespace.open(nc, "beta"));
  } finally {
    await nc.close();
  }
}

Deno.test("a publish resolves with the stream's ack; the same id again is a duplicate", () =>
  withStream(async (nc, { names }) => {
    const sender = new StreamSender(nc, names.jobStream, 5000);
    const subject = names.jobSubject("k", 0);
    const first = await sender.publish(subject, payload, "beta.k.0.1000");
    assert.deepEqual(first, { seq: 1, duplicate: false });
    const second = await sender.publish(subject, payload, "beta.k.0.2000");
    assert.deepEqual(second, { seq: 2, duplicate: false });
    const again = await sender.publish(subject, payload, "beta.k.0.1000");
    assert.deepEqual(again, { seq: 1, duplicate: true });
    sender.close();
  }));

Deno.test("send tells its outcome object the ack, or a failure, never from within the call", () =>
  withStream(async (nc, { names }) => {
    const sender = new StreamSender(nc, names.jobStream, 5000);
    const heard: (Ack | string)[] = [];
    const told = Promise.withResolvers<void>();
    const outcome = {
      answered: (ack: Ack) => {
        heard.push(ack);
        told.resolve();
      },
      failed: (err: Error) => {
        heard.push(err.message);
        told.resolve();
      },
    };
    const subject = names.jobSubject("k", 0);
    sender.send(sender.encode(subject, payload, "beta.k.0.1000"), outcome);
    await told.promise;
    assert.deepEqual(heard, [{ seq: 1, duplicate: false }]);
    sender.close();
    sender.send(sender.encode(subject, payload, "beta.k.0.2000"), outcome);
    assert.equal(heard.length, 1, "not within the call");
    await Promise.resolve();
    assert.deepEqual(heard.slice(1), ["the sender is closed"]);
  }));

Deno.test("a message whose line, headers and text outgrow the encoding buffer is stored whole", () =>
  withStream(async (nc, { names }) => {
    const sender = new StreamSender(nc, names.jobStream, 5000);
    const jsm = await jetstreamManager(nc);
    const id = `beta.${"ключ".repeat(400)}.0.1`; // 3,200 bytes and more
    const text = "⏰".repeat(100);
    const message = sender.encode(names.jobSubject("k", 0), text, id);
    assert.deepEqual(
      await new Promise((answered, failed) =>
        sender.send(message, { answered, failed })
      ),
      { seq: 1, duplicate: false },
    );
    const stored = await jsm.streams.getMessage(names.jobStream, { seq: 1 });
    assert.equal(stored?.header.get("Nats-Msg-Id"), id);
    assert.equal(stored?.string(), text);
    const next = sender.encode(names.jobSubject("k", 0), payload, "beta.k.0.2");
    assert.match(
      new TextDecoder().decode(next.bytes),
      /^HPUB \S+ \S+ \d+ \d+\r\nNATS\/1.0\r\nNats-Msg-Id: beta.k.0.2\r\n\r\n\{\}\r\n$/,
      "and the next is encoded from the start",
    );
    sender.close();
  }));

Deno.test("a message encoded whole is stored as sent: subject, id header and payload", () =>
  withStream(async (nc, { names }) => {
    const sender = new StreamSender(nc, names.jobStream, 5000);
    const jsm = await jetstreamManager(nc);
    const text = '{"key":"ключ","emoji":"⏰"}';
    const subject = names.jobSubject("ключ", 0);
    const message = sender.encode(
      subject,
      encoder.encode(text),
      "beta.ключ.0.1",
    );
    assert.equal(
      message.size,
      message.bytes.length - 2 - message.bytes.indexOf(10) - 1,
    );
    assert.deepEqual(
      await new Promise((answered, failed) =>
        sender.send(message, { answered, failed })
      ),
      { seq: 1, duplicate: false },
    );
    const stored = await jsm.streams.getMessage(names.jobStream, { seq: 1 });
    assert.equal(stored?.subject, subject);
    assert.equal(stored?.header.get("Nats-Msg-Id"), "beta.ключ.0.1");
    assert.equal(stored?.string(), text);
    const runs = new StreamSender(nc, names.runStream, 5000);
    await runs.publish(names.runSubject("k", 0), encoder.encode(text));
    const run = await jsm.streams.getMessage(names.runStream, { seq: 1 });
    assert.equal(run?.string(), text, "without an id");
    assert.equal(run?.header.get("Nats-Msg-Id"), "");
    sender.close();
    runs.close();
  }));

Deno.test("a thousand messages encoded ahead, text or bytes, small or large, are each stored as encoded", () =>
  withStream(async (nc, { names }) => {
    const sender = new StreamSender(nc, names.jobStream, 5000);
    const jsm = await jetstreamManager(nc);
    // Some larger than a slab's share (8 KiB), to be cut apart; most several to a slab.
    const texts = Array.from(
      { length: 1000 },
      (_, i) =>
        `${i}:` + (i % 97 === 0 ? "ü".repeat(5000) : "x".repeat(i % 300)),
    );
    const messages = texts.map((text, i) =>
      sender.encode(
        names.jobSubject(`k${i}`, 0),
        i % 2 ? text : encoder.encode(text),
        `beta.k${i}.0.1`,
      )
    );
    const acks = await Promise.all(
      messages.map((message) =>
        new Promise<Ack>((answered, failed) =>
          sender.send(message, { answered, failed })
        )
      ),
    );
    assert.deepEqual(acks.map((ack) => ack.duplicate), texts.map(() => false));
    for (const [i, text] of texts.entries()) {
      const stored = await jsm.streams.getMessage(names.jobStream, {
        last_by_subj: names.jobSubject(`k${i}`, 0),
      });
      assert.equal(stored?.string(), text, `message ${i}`);
      assert.equal(stored?.header.get("Nats-Msg-Id"), `beta.k${i}.0.1`);
    }
    sender.close();
  }));

Deno.test("a message larger than the server's max_payload is refused; the connection stays up", () =>
  withStream(async (nc, { names }) => {
    const sender = new StreamSender(nc, names.jobStream, 5000);
    const subject = names.jobSubject("k", 0);
    const large = new Uint8Array(nc.info!.max_payload);
    await assert.rejects(
      sender.publish(subject, large, "beta.k.0.1"),
      /larger than the server's max_payload/,
    );
    assert.deepEqual(await sender.publish(subject, payload, "beta.k.0.2"), {
      seq: 1,
      duplicate: false,
    });
    sender.close();
  }));

Deno.test("a subject with whitespace or an id with a line break fails its publish; nothing is sent", () =>
  withStream(async (nc, { names }) => {
    const sender = new StreamSender(nc, names.jobStream, 5000);
    const subject = names.jobSubject("k", 0);
    for (
      const [to, id] of [["", "a"], ["a b", "a"], [subject, "a\r\nX-Y: z"]]
    ) {
      await assert.rejects(sender.publish(to, payload, id), TypeError);
    }
    assert.deepEqual(await sender.publish(subject, payload, "a"), {
      seq: 1,
      duplicate: false,
    });
    sender.close();
  }));

Deno.test("a publish on a closed connection fails; a client without a protocol handler is refused", async () => {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  const { names } = await Namespace.open(nc, "beta");
  const sender = new StreamSender(nc, names.jobStream, 5000);
  await nc.close();
  await assert.rejects(
    sender.publish(names.jobSubject("k", 0), payload, "beta.k.0.1"),
    /the connection is closed/,
  );
  assert.throws(
    () => new StreamSender({} as NatsConnection, names.jobStream, 5000),
    UnsupportedClientError,
  );
});

Deno.test("a publish without an id is stored each time", () =>
  withStream(async (nc, { names }) => {
    const sender = new StreamSender(nc, names.runStream, 5000);
    const subject = names.runSubject("k", 0);
    assert.deepEqual(await sender.publish(subject, payload), {
      seq: 1,
      duplicate: false,
    });
    assert.deepEqual(await sender.publish(subject, payload), {
      seq: 2,
      duplicate: false,
    });
    sender.close();
  }));

Deno.test("last() reads a subject's last message, null when there is none", () =>
  withStream(async (nc, { names }) => {
    const sender = new StreamSender(nc, names.runStream, 5000);
    const subject = names.runSubject("k", 0);
    assert.equal(await sender.last(subject), null);
    await sender.publish(subject, new TextEncoder().encode("first"));
    await sender.publish(subject, new TextEncoder().encode("second"));
    const last = await sender.last(subject);
    assert.equal(last?.string(), "second");
    assert.equal(last?.headers?.get("Nats-Sequence"), "2");
    const nowhere = new StreamSender(nc, "schedule-beta-none", 5000);
    await assert.rejects(
      nowhere.last(subject),
      /no JetStream stream answers on schedule-beta-none/,
    );
    sender.close();
    nowhere.close();
  }));

Deno.test("a publish no stream answers is rejected", () =>
  withStream(async (nc, { names }) => {
    const sender = new StreamSender(nc, names.jobStream, 5000);
    await assert.rejects(
      sender.publish("nowhere.k", payload, "id-1"),
      /no JetStream stream answers on schedule-beta-jobs/,
    );
    // A subscriber that never answers: the ack times out.
    const silent = nc.subscribe("silent.k");
    const timed = new StreamSender(nc, names.jobStream, 200);
    const started = Date.now();
    await assert.rejects(
      timed.publish("silent.k", payload, "id-2"),
      /no acknowledgement within 200 ms/,
    );
    assert.ok(Date.now() - started >= 200);
    silent.unsubscribe();
    sender.close();
    timed.close();
  }));

Deno.test("a publish queued behind others the stream acknowledges waits past its timeout, not past ten", () =>
  withStream(async (nc, { names }) => {
    // A slow stream: one publish answered every 60 ms, in the order sent.
    const queue: string[] = [];
    const slow = nc.subscribe("slow.*", {
      callback: (_err, msg) => {
        queue.push(msg.reply!);
      },
    });
    let seq = 0;
    const answering = setInterval(() => {
      const reply = queue.shift();
      if (reply) nc.publish(reply, JSON.stringify({ stream: "x", seq: ++seq }));
    }, 60);
    const sender = new StreamSender(nc, names.jobStream, 200);
    // Ten wait 60 to 600 ms: all past the timeout, acknowledged all the same.
    const acks = await Promise.all(
      Array.from(
        { length: 10 },
        (_, i) => sender.publish(`slow.${i}`, payload),
      ),
    );
    assert.deepEqual(acks.map((ack) => ack.seq), [
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      9,
      10,
    ]);
    // Forty would wait up to 2.4 s: those past ten timeouts (2 s) fail.
    const results = await Promise.allSettled(
      Array.from(
        { length: 40 },
        (_, i) => sender.publish(`slow.${i}`, payload),
      ),
    );
    const failed = results.flatMap((r) =>
      r.status === "rejected" ? [r.reason] : []
    );
    assert.ok(
      failed.length > 0 && failed.length < 40,
      `${failed.length} failed`,
    );
    assert.match(
      String(failed[0]),
      /within 10 times 200 ms, while the stream acknowledged others/,
    );
    assert.equal(results[0].status, "fulfilled");
    // One the stream never answers, while it stores those sent after: lost, it fails at
    // its timeout.
    await waitFor("the slow stream answered all", () => queue.length === 0);
    const lost = nc.subscribe("lost.k");
    const started = Date.now();
    const unanswered = sender.publish("lost.k", payload);
    const after = sender.publish("slow.after", payload);
    await assert.rejects(unanswered, /no acknowledgement within 200 ms$/);
    assert.ok(Date.now() - started < 1000, "not ten timeouts");
    assert.equal((await after).seq, 51);
    // Encoded ahead, sent in another order (a node's prepared ticks): one sent after a
    // stored one is queued behind it, whatever its number.
    const encoded = Array.from(
      { length: 10 },
      (_, i) => sender.encode(`slow.${i}`, payload),
    ).reverse();
    const late = await Promise.all(encoded.map((message) => {
      const { promise, resolve, reject } = Promise.withResolvers<Ack>();
      sender.send(message, { answered: resolve, failed: reject });
      return promise;
    }));
    assert.deepEqual(
      late.map((ack) => ack.seq),
      Array.from({ length: 10 }, (_, i) => 52 + i),
    );
    lost.unsubscribe();
    clearInterval(answering);
    slow.unsubscribe();
    sender.close();
  }));

Deno.test("close rejects the publishes still waiting, and any later one", () =>
  withStream(async (nc, { names }) => {
    const silent = nc.subscribe("silent.k");
    const sender = new StreamSender(nc, names.jobStream, 60_000);
    const waiting = sender.publish("silent.k", payload, "id-1");
    sender.close();
    await assert.rejects(waiting, /the sender is closed/);
    await assert.rejects(
      sender.publish(names.jobSubject("k", 0), payload, "id-2"),
      /the sender is closed/,
    );
    silent.unsubscribe();
  }));

Deno.test("while disconnected a publish fails at once; the reconnection is announced", async () => {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  try {
    const { names } = await Namespace.open(nc, "beta");
    const subject = names.jobSubject("k", 0);
    const silent = nc.subscribe("silent.k");
    const sender = new StreamSender(nc, names.jobStream, 60_000);
    let reconnects = 0;
    sender.onReconnect(() => reconnects++);
    const waiting = assert.rejects(
      sender.publish("silent.k", payload, "id-1"),
      DisconnectedError,
    );
    await server.stop();
    await waiting;
    assert.equal(sender.connected, false);
    const started = Date.now();
    await assert.rejects(
      sender.publish(subject, payload, "id-2"),
      DisconnectedError,
    );
    assert.ok(Date.now() - started < 1000, "failed at once");
    await server.restart();
    await waitFor("the reconnection", () => reconnects === 1);
    assert.equal(sender.connected, true);
    assert.deepEqual(await sender.publish(subject, payload, "id-3"), {
      seq: 1,
      duplicate: false,
    });
    silent.unsubscribe();
    sender.close();
  } finally {
    await nc.close();
  }
});
