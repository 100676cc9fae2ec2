import assert from "node:assert/strict";
import {
  type Ack,
  DisconnectedError,
  type EncodedMessage,
  type Outcome,
} from "../nats/stream_sender.ts";
import { NamespaceNames } from "../nats/names.ts";
import { parseSpec } from "../spec/spec.ts";
import { zeroNodeMetrics } from "./_util.ts";
import { recordingLogger } from "../../tests/helpers.ts";
import { FakeClock } from "./_fake_clock.ts";
import { CHECK_DELAY, Sender } from "./sender.ts";
import { fireTime, JobRules } from "./rule.ts";
import type { NodeMetrics, Scheduled } from "./types.ts";
import type { JobPolicy, ScheduleEvent } from "../types.ts";

const names = new NamespaceNames("beta");

/** A stream sender whose publishes the test settles one by one. */
class FakeStream {
  readonly sent: { subject: string; msgId: string }[] = [];
  /** The payload of each publish, as text. */
  readonly payloads: string[] = [];
  readonly #pending: Outcome<Ack>[] = [];
  readonly #reconnected: (() => void)[] = [];
  closed = false;
  connected = true;

  onReconnect(listener: () => void): void {
    this.#reconnected.push(listener);
  }

  /** Drops the connection: the publishes waiting fail. */
  async disconnect(): Promise<void> {
    this.connected = false;
    while (this.#pending.length) await this.answer(new DisconnectedError());
  }

  reconnect(): void {
    this.connected = true;
    for (const listener of this.#reconnected) listener();
  }

  /** What each message encoded was, by call number. */
  readonly #encoded = new Map<number, { subject: string; msgId: string }>();

  /** A message whose bytes are its payload alone. */
  encode(
    subject: string,
    payload: Uint8Array | string,
    msgId = "",
  ): EncodedMessage {
    const call = this.#encoded.size;
    this.#encoded.set(call, { subject, msgId });
    const bytes = typeof payload === "string"
      ? new TextEncoder().encode(payload)
      : payload;
    return { call, bytes, size: bytes.length };
  }

  send(message: EncodedMessage, outcome: Outcome<Ack>): void {
    this.sent.push(this.#encoded.get(message.call)!);
    this.payloads.push(new TextDecoder().decode(message.bytes));
    this.#pending.push(outcome);
  }

  close(): void {
    this.closed = true;
  }

  /** Settles the oldest publish, then lets its callbacks run. */
  async answer(ack: Ack | Error): Promise<void> {
    const outcome = this.#pending.shift()!;
    if (ack instanceof Error) outcome.failed(ack);
    else outcome.answered(ack);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/** Lets the check of the ticks given up run. */
async function settle(clock: FakeClock): Promise<void> {
  await Promise.resolve();
  clock.advance(CHECK_DELAY);
  await new Promise((resolve) => setTimeout(resolve, 0));
}

function setup(catchup = 60_000, now = 1000) {
  const clock = new FakeClock(now);
  const stream = new FakeStream();
  const log = recordingLogger();
  const lags: number[] = [];
  /** The scheduled times the job stream holds, as the sender's check reads them. */
  const inStream = new Set<number>();
  const metrics: NodeMetrics = zeroNodeMetrics();
  const events: ScheduleEvent[] = [];
  const sender = new Sender({
    stream,
    names,
    metrics,
    log,
    onStored: (lag) => lags.push(lag),
    stored: (ranges) =>
      Promise.resolve(
        ranges.map((range) =>
          new Set(
            [...inStream].filter((t) => t >= range.first && t <= range.last),
          )
        ),
      ),
    clock,
    onEvent: (event) => events.push(event),
  });
  const rules = new JobRules(catchup, 120_000, log);
  /** A `* * * * * *` job at its tick `due`, under `policy`. */
  const job = (due: number, policy?: JobPolicy): Scheduled => {
    const item: Scheduled = {
      key: "k",
      index: 0,
      spec: parseSpec("* * * * * *"),
      anchor: 0,
      subject: names.jobSubject("k", 0),
      tick: (at, firesAt) => `${at.getTime()} ${firesAt?.getTime()}`,
      rule: rules.of(policy, "k", 0),
      run: 0,
      due,
      firesAt: due,
      sendAt: due,
      backup: false,
      bucketRevision: 1,
      live: true,
    };
    item.firesAt = item.sendAt = fireTime(names, item, due);
    return item;
  };
  return { clock, stream, log, lags, metrics, sender, inStream, events, job };
}

Deno.test("a stored tick is counted and reports its lag; pendingFrom follows it", async () => {
  const { clock, stream, lags, metrics, sender, job } = setup();
  const item = job(1000);
  assert.equal(sender.pendingFrom, Infinity);
  sender.send(item, 1000);
  assert.equal(sender.pendingFrom, 1000);
  assert.deepEqual(stream.sent, [{
    subject: names.jobSubject("k", 0),
    msgId: names.tickId("k", 0, 1000),
  }]);
  clock.advance(40);
  await stream.answer({ seq: 1, duplicate: false });
  assert.equal(metrics.published, 1);
  assert.deepEqual(lags, [40]);
  assert.equal(sender.pendingFrom, Infinity);
  assert.equal(sender.lastTick, 1000);
});

Deno.test("a tick prepared ahead is sent as prepared; another is encoded when sent", async () => {
  const { stream, sender, job } = setup();
  const item = job(1000);
  sender.prepare(item);
  const { bytes } = item.prepared!;
  sender.send(item, 1000);
  assert.equal(item.prepared, undefined, "used once");
  assert.equal(stream.payloads[0], new TextDecoder().decode(bytes));
  item.due = 2000;
  sender.prepare(item);
  item.due = 3000; // the job moved on: what was prepared is not its tick
  sender.send(item, 3000);
  assert.equal(stream.payloads[1], "3000 undefined");
  assert.deepEqual(stream.sent[1].msgId, names.tickId("k", 0, 3000));
  await stream.answer({ seq: 1, duplicate: false });
  await stream.answer({ seq: 2, duplicate: false });
});

Deno.test("a duplicate is counted and reports no lag", async () => {
  const { stream, lags, metrics, sender, job } = setup();
  const item = job(1000);
  sender.send(item, 1000);
  await stream.answer({ seq: 1, duplicate: true });
  assert.equal(metrics.duplicates, 1);
  assert.equal(metrics.published, 0);
  assert.deepEqual(lags, []);
  assert.equal(sender.lastTick, 1000);
});

Deno.test("a failed publish is retried with backoff, then missed past catchup", async () => {
  const { clock, stream, log, metrics, sender, job } = setup(1000);
  sender.send(job(1000), 1000);
  for (const delay of [100, 200, 400]) {
    await stream.answer(new Error("timeout"));
    assert.equal(clock.delays.at(-1), delay);
    assert.equal(sender.pendingFrom, 1000, "pending while it waits to retry");
    clock.advance(delay);
  }
  assert.equal(stream.sent.length, 4);
  await stream.answer(new Error("timeout")); // at 1700: 800 ms more is too late
  assert.equal(stream.sent.length, 4);
  assert.equal(metrics.publishErrors, 4);
  assert.equal(sender.pendingFrom, Infinity, "given up");
  await settle(clock);
  assert.equal(metrics.missed, 1);
  const missed = log.lines.filter((line) => line.msg === "ticks missed");
  assert.deepEqual(missed.map((line) => line.reason), ["timeout"]);
  assert.equal(missed[0].first, new Date(1000).toISOString());
  assert.equal(missed[0].count, 1);
});

Deno.test("a tick given up that another node stored is not missed", async () => {
  const { clock, stream, metrics, sender, inStream, job } = setup(100);
  inStream.add(1000);
  sender.send(job(1000), 1000);
  await stream.answer(new Error("timeout"));
  await settle(clock);
  assert.equal(metrics.publishErrors, 1);
  assert.equal(metrics.missed, 0);
});

Deno.test("a tick already older than catchup is missed without a publish", async () => {
  const { clock, stream, log, metrics, sender, job } = setup(1000);
  sender.send(job(1000), 2001);
  assert.deepEqual(stream.sent, []);
  await settle(clock);
  assert.equal(metrics.missed, 1);
  assert.equal(log.lines.at(-1)?.reason, "the node fell behind");
});

Deno.test("settledFrom: the earliest of the pending ticks and those given up that wait for their check", async () => {
  const { clock, stream, metrics, sender, job } = setup(1000);
  assert.equal(sender.settledFrom, Infinity);
  sender.send(job(3000), 3000);
  assert.equal(sender.settledFrom, 3000);
  sender.send(job(1000), 2001); // older than catchup: given up, to be checked
  assert.equal(sender.settledFrom, 1000);
  await stream.answer({ seq: 1, duplicate: false });
  await settle(clock);
  assert.equal(metrics.missed, 1);
  assert.equal(sender.settledFrom, Infinity, "counted: settled");
});

/** Fires `item` at each of `times`, as the timer queue does. */
function fire(sender: Sender, item: Scheduled, times: number[]): void {
  for (const at of times) {
    item.due = at;
    item.firesAt = fireTime(names, item, at);
    sender.send(item, item.firesAt);
  }
}

Deno.test("while disconnected ticks are held, then sent at the reconnection, oldest first", async () => {
  const { clock, stream, metrics, sender, job } = setup();
  const a = job(1000);
  const b = { ...job(1000), key: "b", subject: names.jobSubject("b", 0) };
  fire(sender, a, [1000]);
  await stream.disconnect(); // the publish under way fails, the tick is held
  fire(sender, b, [1000, 2000]);
  fire(sender, a, [2000, 3000]);
  assert.equal(stream.sent.length, 1);
  assert.equal(sender.pendingFrom, -Infinity, "nothing is settled while held");
  clock.advance(3000);
  stream.reconnect();
  assert.equal(sender.pendingFrom, 1000);
  assert.deepEqual(stream.sent.slice(1).map((sent) => sent.msgId), [
    names.tickId("k", 0, 1000),
    names.tickId("b", 0, 1000),
    names.tickId("k", 0, 2000),
    names.tickId("b", 0, 2000),
    names.tickId("k", 0, 3000),
  ]);
  assert.equal(metrics.publishErrors, 0, "no publish was burnt");
  for (let i = 0; i < 5; i++) await stream.answer({ seq: i, duplicate: false });
  assert.equal(metrics.published, 5);
  assert.equal(metrics.missed, 0);
});

Deno.test("ticks held past catchup are missed, but for those the stream holds", async () => {
  const { clock, stream, log, metrics, sender, inStream, job } = setup(3000);
  const item = job(1000);
  stream.connected = false;
  fire(sender, item, [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000]);
  inStream.add(2000); // another node stored it
  clock.advance(8500); // at 9500 the window starts at 6500
  stream.reconnect();
  assert.deepEqual(stream.sent.map((sent) => sent.msgId), [
    names.tickId("k", 0, 7000),
    names.tickId("k", 0, 8000),
  ]);
  await settle(clock);
  assert.equal(metrics.missed, 5);
  const missed = log.lines.find((line) => line.msg === "ticks missed")!;
  assert.equal(missed.count, 5);
  assert.equal(missed.storedByOthers, 1);
  assert.equal(missed.last, new Date(6000).toISOString());
  assert.equal(missed.reason, "disconnected for longer than catchup");
});

Deno.test("stopping while disconnected: the ticks held are missed, unchecked", async () => {
  const { stream, log, metrics, sender, job } = setup();
  stream.connected = false;
  fire(sender, job(1000), [1000, 2000]);
  await sender.stop();
  assert.equal(metrics.missed, 2);
  assert.equal(log.lines.at(-1)?.unchecked, "disconnected from NATS");
});

Deno.test("stop waits for the publishes under way; a failure then is missed", async () => {
  const { stream, log, metrics, sender, job } = setup();
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
  assert.equal(metrics.publishErrors, 1);
});

Deno.test("a publish under way when the connection drops during a stop is missed, and no publish error", async () => {
  const { stream, metrics, sender, job } = setup();
  sender.send(job(1000), 1000);
  const stopping = sender.stop();
  await stream.disconnect();
  await stopping;
  assert.equal(metrics.missed, 1);
  assert.equal(metrics.publishErrors, 0, "none while disconnected");
});

Deno.test("held ticks: catchup latest sends the latest, none sends nothing; the rest are skipped", async () => {
  for (const catchup of ["latest", "none"] as const) {
    const { clock, stream, log, metrics, sender, inStream, events, job } =
      setup(3000);
    const item = job(1000, { catchup });
    stream.connected = false;
    fire(sender, item, [1000, 2000, 3000, 4000, 5000, 6000]);
    inStream.add(5000); // another node stored it
    clock.advance(5500); // at 6500 the window starts at 3500
    stream.reconnect();
    assert.deepEqual(
      stream.sent.map((sent) => sent.msgId),
      catchup === "latest" ? [names.tickId("k", 0, 6000)] : [],
      catchup,
    );
    await settle(clock);
    assert.equal(metrics.missed, 3, `${catchup}: 1000 to 3000 are too old`);
    assert.equal(metrics.skipped, catchup === "latest" ? 1 : 2, catchup);
    const skipped = log.lines.find((line) => line.msg === "ticks skipped")!;
    assert.equal(skipped.first, new Date(4000).toISOString());
    assert.equal(skipped.reason, `catchup ${catchup}: held while disconnected`);
    assert.deepEqual(
      events.map((
        e,
      ) => [e.type, e.count, e.scheduledAt?.getTime(), e.until?.getTime()]),
      [
        ["missed", 3, 1000, 3000],
        ["missed", metrics.skipped, 4000, catchup === "latest" ? 5000 : 6000],
      ],
    );
  }
});

Deno.test("skip gives ticks up as skipped, but for those the stream holds", async () => {
  const { clock, metrics, sender, inStream, events, job } = setup();
  inStream.add(2000);
  sender.skip(job(1000, { catchup: "none" }), 1000, 3000, "late at start");
  await settle(clock);
  assert.equal(metrics.skipped, 2);
  assert.equal(metrics.missed, 0);
  assert.equal(events[0].detail, "skipped: late at start");
});

Deno.test("a jittered tick is sent at its send time, carries it, and keeps its window from it", async () => {
  const { clock, stream, metrics, sender, job } = setup(1000);
  const item = job(1000, { jitter: "30s" });
  const firesAt = fireTime(names, item, 1000);
  assert.ok(firesAt > 1000 && firesAt < 31_000);
  clock.advance(firesAt - 1000 + 900);
  sender.send(item, clock.now()); // 900 ms late: within the window
  assert.deepEqual(stream.payloads, [`1000 ${firesAt}`]);
  sender.send(item, firesAt + 1001);
  await settle(clock);
  assert.equal(metrics.missed, 1, "1001 ms after its send time: too late");
});
