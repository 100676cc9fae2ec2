import assert from "node:assert/strict";
import type { Ack } from "../nats/stream_sender.ts";
import { NamespaceNames } from "../nats/names.ts";
import { parseSpec } from "../spec/spec.ts";
import { recordingLogger } from "../../tests/helpers.ts";
import { FakeClock } from "./_fake_clock.ts";
import { Sender } from "./sender.ts";
import type { NodeMetrics, Scheduled } from "./types.ts";

const names = new NamespaceNames("beta");

/** A stream sender whose publishes the test settles one by one. */
class FakeStream {
  readonly sent: { subject: string; msgId: string }[] = [];
  readonly #pending: PromiseWithResolvers<Ack>[] = [];
  closed = false;

  publish(subject: string, _payload: Uint8Array, msgId: string): Promise<Ack> {
    this.sent.push({ subject, msgId });
    const pending = Promise.withResolvers<Ack>();
    this.#pending.push(pending);
    return pending.promise;
  }

  close(): void {
    this.closed = true;
  }

  /** Settles the oldest publish, then lets its callbacks run. */
  async answer(ack: Ack | Error): Promise<void> {
    const pending = this.#pending.shift()!;
    if (ack instanceof Error) pending.reject(ack);
    else pending.resolve(ack);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

function setup(catchup = 60_000, now = 1000) {
  const clock = new FakeClock(now);
  const stream = new FakeStream();
  const log = recordingLogger();
  const lags: number[] = [];
  const metrics: NodeMetrics = {
    definitions: 0,
    jobs: 0,
    published: 0,
    duplicates: 0,
    missed: 0,
    publishErrors: 0,
    rejected: 0,
  };
  const sender = new Sender({
    stream,
    names,
    catchup,
    metrics,
    log,
    onStored: (lag) => lags.push(lag),
    clock,
  });
  return { clock, stream, log, lags, metrics, sender };
}

function job(due: number): Scheduled {
  return {
    key: "k",
    index: 0,
    spec: parseSpec("* * * * * *"),
    anchor: 0,
    subject: names.jobSubject("k", 0),
    encode: () => new Uint8Array(),
    due,
    sendAt: due,
    standby: false,
    live: true,
  };
}

Deno.test("a stored tick is counted, reports its lag and takes the job off standby", async () => {
  const { clock, stream, lags, metrics, sender } = setup();
  const item = job(1000);
  item.standby = true;
  sender.send(item, 1000);
  assert.deepEqual(stream.sent, [{
    subject: names.jobSubject("k", 0),
    msgId: names.tickId("k", 0, 1000),
  }]);
  clock.advance(40);
  await stream.answer({ seq: 1, duplicate: false });
  assert.equal(metrics.published, 1);
  assert.deepEqual(lags, [40]);
  assert.equal(item.standby, false);
  assert.equal(sender.lastTick, 1000);
});

Deno.test("a duplicate puts the job on standby and reports no lag", async () => {
  const { stream, lags, metrics, sender } = setup();
  const item = job(1000);
  sender.send(item, 1000);
  await stream.answer({ seq: 1, duplicate: true });
  assert.equal(metrics.duplicates, 1);
  assert.equal(metrics.published, 0);
  assert.deepEqual(lags, []);
  assert.equal(item.standby, true);
  assert.equal(sender.lastTick, 1000);
});

Deno.test("a failed publish is retried with backoff, then missed past catchup", async () => {
  const { clock, stream, log, metrics, sender } = setup(1000);
  sender.send(job(1000), 1000);
  for (const delay of [100, 200, 400]) {
    await stream.answer(new Error("timeout"));
    assert.equal(clock.delays.at(-1), delay);
    clock.advance(delay);
  }
  assert.equal(stream.sent.length, 4);
  await stream.answer(new Error("timeout")); // at 1700: 800 ms more is too late
  assert.equal(stream.sent.length, 4);
  assert.equal(metrics.publishErrors, 4);
  assert.equal(metrics.missed, 1);
  const missed = log.lines.filter((line) => line.msg === "tick missed");
  assert.deepEqual(missed.map((line) => line.reason), ["timeout"]);
  assert.equal(missed[0].scheduledAt, new Date(1000).toISOString());
});

Deno.test("a tick already older than catchup is missed without a publish", () => {
  const { stream, log, metrics, sender } = setup(1000);
  sender.send(job(1000), 2001);
  assert.deepEqual(stream.sent, []);
  assert.equal(metrics.missed, 1);
  assert.equal(log.lines.at(-1)?.reason, "the node fell behind");
});

Deno.test("stop waits for the publishes under way; a failure then is missed", async () => {
  const { stream, log, metrics, sender } = setup();
  sender.send(job(1000), 1000);
  let stopped = false;
  const stopping = sender.stop().then(() => stopped = true);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(stopped, false);
  assert.equal(stream.closed, false);
  await stream.answer(new Error("closed"));
  await stopping;
  assert.equal(stream.closed, true);
  assert.equal(metrics.missed, 1);
  assert.equal(log.lines.at(-1)?.reason, "the node is stopping");
});
