import assert from "node:assert/strict";
import { FakeClock } from "./_fake_clock.ts";
import { MAX_TIMER } from "./clock.ts";
import {
  PREPARE_AFTER,
  PREPARE_WAITS,
  PREPARE_WITHIN,
} from "./prepare_ahead.ts";
import {
  type BackupVerdict,
  FIRE_SLICE,
  type Queued,
  TimerQueue,
  type TimerQueueOptions,
} from "./timer_queue.ts";

interface Job extends Queued {
  name: string;
  /** The period of the job's ticks, or 0 for a single tick. */
  every: number;
}

function job(name: string, due: number, every = 0): Job {
  return {
    name,
    every,
    due,
    firesAt: due,
    sendAt: due,
    backup: false,
    live: true,
  };
}

/** Moves a job to its tick a second later. */
function everySecond(item: Job): boolean {
  item.due += 1000;
  item.firesAt = item.due;
  return true;
}

/**
 * A queue on a fake clock at 0 that records each send as `name@due` (and when); each tick
 * after a job's first fires `jitter` ms late.
 */
function setup(
  standbyDelay = 500,
  jitter = 0,
  owners: Pick<
    TimerQueueOptions<Job>,
    "owns" | "backup" | "prepare" | "pendingFrom" | "onSlices"
  > = {},
) {
  const clock = new FakeClock(0);
  const sent: string[] = [];
  const sentAt: number[] = [];
  const queue = new TimerQueue<Job>({
    standbyDelay,
    clock,
    ...owners,
    send: (item, now) => {
      sent.push(`${item.name}@${item.due}`);
      sentAt.push(now);
    },
    advance: (item) => {
      if (item.every === 0) return false;
      item.due += item.every;
      item.firesAt = item.due + jitter;
      return true;
    },
  });
  return { clock, queue, sent, sentAt };
}

/**
 * A queue on a clock that runs ahead of a fake one by the time its sends took (`perSend`
 * ms each; `sends.took` may be set), whose backups skip, recording when they looked.
 */
function timedQueue(owns: (item: Job) => boolean, perSend: number) {
  const fake = new FakeClock(0);
  const sends = { took: 0 };
  const clock = {
    now: () => fake.now() + sends.took,
    setTimeout: fake.setTimeout.bind(fake),
    clearTimeout: fake.clearTimeout.bind(fake),
  };
  const looked: number[] = [];
  const queue = new TimerQueue<Job>({
    standbyDelay: 500,
    clock,
    owns,
    send: () => sends.took += perSend,
    backup: (_item, now) => {
      looked.push(now);
      return "skip";
    },
    advance: () => false,
  });
  return { fake, queue, looked, sends };
}

Deno.test("due jobs are sent in order, under one timer set for the earliest", () => {
  const { clock, queue, sent } = setup();
  queue.add([job("c", 3000), job("a", 1000), job("b", 2000)]);
  assert.deepEqual(clock.delays, [1000]);
  assert.equal(clock.pending, 1);
  clock.advance(999);
  assert.deepEqual(sent, []);
  clock.advance(1);
  assert.deepEqual(sent, ["a@1000"]);
  clock.advance(2000);
  assert.deepEqual(sent, ["a@1000", "b@2000", "c@3000"]);
});

Deno.test("a job earlier than the timer re-arms it; a later one does not", () => {
  const { clock, queue, sent } = setup();
  queue.add([job("late", 5000)]);
  queue.add([job("early", 1000)]);
  queue.add([job("middle", 3000)]);
  assert.deepEqual(clock.delays, [5000, 1000]);
  assert.equal(clock.pending, 1, "the 5 s timer was cleared");
  clock.advance(5000);
  assert.deepEqual(sent, ["early@1000", "middle@3000", "late@5000"]);
});

Deno.test("each job is queued at its next tick after the sends, on the next turn", () => {
  const clock = new FakeClock(0);
  const sizes: number[] = [];
  const queue: TimerQueue<Job> = new TimerQueue<Job>({
    standbyDelay: 500,
    clock,
    send: () => sizes.push(queue.size),
    advance: everySecond,
  });
  const items = [job("a", 1000), job("b", 1000)];
  queue.add(items);
  clock.advance(1000);
  assert.deepEqual(sizes, [1, 0], "no job is queued again while sending");
  assert.deepEqual(clock.delays, [1000, 0, 1000], "one requeue timer at 0 ms");
  assert.equal(queue.size, 2);
  assert.deepEqual(items.map((item) => item.due), [2000, 2000]);
  clock.advance(1000);
  assert.deepEqual(sizes, [1, 0, 1, 0]);
});

Deno.test("removed jobs are not sent again and are dropped from the queue", () => {
  const { clock, queue, sent } = setup();
  const kept = job("kept", 1000, 1000);
  const removed = [job("r1", 5000), job("r2", 6000), job("r3", 7000)];
  queue.add([kept, ...removed]);
  for (const item of removed) queue.remove(item);
  assert.equal(queue.size, 4);
  clock.advance(1000);
  assert.equal(queue.size, 1, "more dead than live: compacted");
  clock.advance(7000);
  assert.deepEqual(sent.filter((s) => !s.startsWith("kept")), []);
  assert.equal(sent.length, 8);
});

Deno.test("a job removed while sending is not queued at its next tick", () => {
  const clock = new FakeClock(0);
  const sent: number[] = [];
  const queue: TimerQueue<Job> = new TimerQueue<Job>({
    standbyDelay: 500,
    clock,
    send: (item) => {
      sent.push(item.due);
      queue.remove(item);
    },
    advance: everySecond,
  });
  queue.add([job("a", 1000, 1000)]);
  clock.advance(5000);
  assert.deepEqual(sent, [1000]);
  assert.equal(queue.size, 0);
});

Deno.test("a job removed once its tick is due still hands that tick on, once: in a herd's later slice, as a backup, with jitter", () => {
  const { clock, queue, sent } = setup(500, 0, {
    owns: (item) => item.name !== "theirs",
    backup: () => "send",
  });
  const herd = Array.from(
    { length: FIRE_SLICE + 1 },
    (_, i) => job(`j${i}`, 1000, 1000),
  );
  const theirs = job("theirs", 1000, 1000);
  const jittered = { ...job("jittered", 1000, 1000), firesAt: 1300 };
  jittered.sendAt = 1300;
  queue.add([...herd, theirs, jittered]);
  // Set after the queue's timer: runs between the herd's first slice and its second.
  clock.setTimeout(() => {
    assert.ok(sent.length < herd.length, "the herd is half sent");
    const waiting = herd.find((item) => !sent.includes(`${item.name}@1000`))!;
    for (const item of [waiting, theirs, jittered]) queue.remove(item);
    queue.remove(waiting); // twice: no effect
  }, 1000);
  clock.advance(1999);
  assert.equal(sent.length, herd.length + 2, "the herd, theirs, jittered");
  assert.ok(sent.includes("theirs@1000") && sent.includes("jittered@1000"));
  assert.equal(new Set(sent).size, sent.length, "each once");
  clock.advance(1000);
  assert.equal(
    sent.filter((s) => s.endsWith("@2000")).length,
    FIRE_SLICE,
    "the removed are not queued at their next tick",
  );
});

Deno.test("a job removed before its tick is due, or after sending it, sends nothing more", () => {
  const { clock, queue, sent } = setup();
  const early = job("early", 1000, 1000);
  const sentOne = job("sent", 1000, 1000);
  queue.add([early, sentOne]);
  clock.advance(999);
  queue.remove(early);
  clock.advance(1);
  queue.remove(sentOne); // sent, not yet queued at its next tick
  clock.advance(3000);
  assert.deepEqual(sent, ["sent@1000"]);
  assert.equal(queue.size, 0);
});

Deno.test("a job another node owns waits standbyDelay, then its backup verdict rules", () => {
  let owned = false;
  const verdicts: BackupVerdict[] = ["skip", 2700, "send"];
  const { clock, queue, sent, sentAt } = setup(500, 0, {
    owns: () => owned,
    backup: () => verdicts.shift() ?? "send",
  });
  const item = job("a", 1000, 1000);
  queue.add([item]);
  clock.advance(1499);
  assert.deepEqual(sent, []);
  assert.equal(item.backup, true);
  clock.advance(1);
  assert.deepEqual(sent, [], "skipped: its owner stored it");
  assert.equal(item.due, 2000, "and queued at its next tick");
  assert.equal(item.sendAt, 2500, "straight at its backup's look");
  clock.advance(1000);
  assert.deepEqual(sent, [], "look again at 2700");
  clock.advance(200);
  assert.deepEqual(sentAt, [2700], "then sent");
  owned = true; // its owner is gone: this node owns it now
  queue.reassign();
  clock.advance(300);
  assert.deepEqual(sent, ["a@2000", "a@3000"]);
  assert.deepEqual(sentAt, [2700, 3000], "on time");
});

Deno.test("a firing hands on only this node's ticks: another's are queued at their backup's look", () => {
  const looked: string[] = [];
  const { clock, queue, sent } = setup(500, 0, {
    owns: (item) => item.name === "mine",
    backup: (item, now) => (looked.push(`${item.name}@${now}`), "skip"),
  });
  const theirs = job("theirs", 1000, 1000);
  queue.add([job("mine", 1000, 1000), theirs]);
  clock.advance(1000);
  assert.equal(theirs.sendAt, 1500, "first found another's at its tick");
  clock.advance(500);
  assert.deepEqual(looked, ["theirs@1500"]);
  assert.deepEqual([theirs.due, theirs.sendAt], [2000, 2500]);
  assert.equal(theirs.backup, true, "queued again as a backup");
  clock.advance(2000);
  assert.deepEqual(sent, ["mine@1000", "mine@2000", "mine@3000"]);
  assert.deepEqual(looked, ["theirs@1500", "theirs@2500", "theirs@3500"]);
});

Deno.test("reassign brings forward only the backups this node comes to own, and prepares them", () => {
  const owners = new Set(["b"]);
  const prepared: string[] = [];
  const { clock, queue, sent } = setup(500, 0, {
    owns: (item) => owners.has(item.name),
    backup: () => "skip",
    prepare: (item) => prepared.push(`${item.name}@${item.due}`),
  });
  const [a, b, c] = ["a", "b", "c"].map((name) => job(name, 1000, 1000));
  queue.add([a, b, c]);
  clock.advance(1500); // b sent; a and c skipped as backups, then queued at 2500
  assert.deepEqual([a.sendAt, b.sendAt, c.sendAt], [2500, 2000, 2500]);
  owners.add("a"); // a's owner left
  queue.reassign();
  assert.deepEqual([a.sendAt, a.backup, c.sendAt], [2000, false, 2500]);
  clock.advance(PREPARE_AFTER);
  assert.ok(prepared.includes("a@2000"), "prepared as this node's");
  clock.advance(500 - PREPARE_AFTER);
  assert.deepEqual(sent.sort(), ["a@2000", "b@1000", "b@2000"], "on time");
});

Deno.test("sentThrough: now, but before the earliest job still queued", () => {
  const { clock, queue } = setup();
  queue.add([job("a", 1000, 1000)]);
  assert.equal(queue.sentThrough, 0, "now");
  clock.advance(1200);
  assert.equal(queue.sentThrough, 1200);
  queue.add([job("late", 1100)]); // queued after its time: not sent yet
  assert.equal(queue.sentThrough, 1099);
  clock.advance(0);
  assert.equal(queue.sentThrough, 1200);
});

Deno.test("a backup's first look also waits as long as the firing took: a herd's owner is still sending", () => {
  const { fake, queue, looked, sends } = timedQueue(
    (item) => item.name.startsWith("mine"),
    100,
  );
  queue.add([job("mine1", 1000), job("theirs", 1000), job("mine2", 1000)]);
  fake.advance(1000);
  assert.equal(sends.took, 200, "two sends");
  fake.advance(500 + 200 - sends.took - 1);
  assert.deepEqual(looked, []);
  fake.advance(1);
  assert.deepEqual(
    looked,
    [1700],
    "at 1000 + 500, plus the 200 the firing took",
  );
});

Deno.test("settledThrough: before the earliest tick queued, less the longest a backup waited", () => {
  const { clock, queue, sent } = setup(500, 0, { owns: () => false });
  queue.add([job("a", 1000, 1000)]);
  assert.equal(queue.settledThrough, 0, "now");
  clock.advance(1200); // a waits as a backup until 1500
  assert.deepEqual(sent, []);
  assert.equal(
    queue.sentThrough,
    1200,
    "sentThrough goes by the time it looks",
  );
  assert.equal(
    queue.settledThrough,
    999,
    "settledThrough by its tick's send time",
  );
  clock.advance(300); // the backup sends it; a's tick at 2000 is queued at its look
  assert.deepEqual(sent, ["a@1000"]);
  assert.equal(queue.settledThrough, 1500, "now");
  clock.advance(600);
  assert.equal(
    queue.settledThrough,
    1999,
    "its look at 2500, less the 500 ms a backup waits",
  );
  queue.add([job("late", 1400)]); // queued after its time: not sent yet
  assert.equal(queue.settledThrough, 899);
});

Deno.test("a timer is never set for more than MAX_TIMER", () => {
  const { clock, queue, sent } = setup();
  const due = 2.5 * MAX_TIMER;
  queue.add([job("far", due)]);
  assert.deepEqual(clock.delays, [MAX_TIMER]);
  clock.advance(due - 1);
  assert.deepEqual(sent, []);
  assert.ok(clock.delays.every((delay) => delay <= MAX_TIMER));
  clock.advance(1);
  assert.deepEqual(sent, [`far@${due}`]);
});

Deno.test("after stop, nothing is sent and no timer is left", () => {
  const { clock, queue, sent } = setup();
  queue.add([job("a", 1000, 1000)]);
  clock.advance(1000);
  queue.add([job("b", 1500)]);
  queue.stop();
  assert.equal(clock.pending, 0);
  queue.add([job("c", 1200)]);
  clock.advance(10_000);
  assert.deepEqual(sent, ["a@1000"]);
});

Deno.test("a job fires at its tick plus its jitter, and as a backup later still", () => {
  let owned = true;
  const { clock, queue, sent, sentAt } = setup(500, 300, {
    owns: () => owned,
  });
  const item = job("j", 1000, 1000);
  queue.add([item]);
  clock.advance(2300);
  assert.deepEqual(sentAt, [1000, 2300]);
  owned = false;
  clock.advance(1700);
  assert.deepEqual(sent, ["j@1000", "j@2000", "j@3000"]);
  assert.deepEqual(sentAt, [1000, 2300, 3300 + 500]);
});

Deno.test("a tick this node owns is prepared PREPARE_AFTER after it is queued, within PREPARE_WITHIN of it", () => {
  const prepared: string[] = [];
  const { clock, queue } = setup(500, 0, {
    owns: (item) => item.name !== "theirs",
    prepare: (item) => prepared.push(`${item.name}@${item.due}`),
  });
  queue.add([
    job("mine", 1000, 1000),
    job("theirs", 1000, 1000),
    job("far", 1000, PREPARE_WITHIN + 1000),
  ]);
  clock.advance(PREPARE_AFTER);
  assert.deepEqual(prepared, ["mine@1000", "far@1000"], "the first ticks");
  clock.advance(1000 - PREPARE_AFTER);
  assert.equal(prepared.length, 2, "not while the firing's ticks are stored");
  clock.advance(PREPARE_AFTER);
  assert.deepEqual(
    prepared.slice(2),
    ["mine@2000"],
    "not a backup's, nor one past the window",
  );
});

Deno.test("the next ticks are prepared once the firing's ticks are acknowledged, or PREPARE_WAITS later", () => {
  const prepared: number[] = [];
  let pendingFrom = Infinity;
  const { clock, queue } = setup(500, 0, {
    prepare: (item) => prepared.push(item.due),
    pendingFrom: () => pendingFrom,
  });
  queue.add([job("a", 1000, 2000)]);
  clock.advance(PREPARE_AFTER);
  assert.deepEqual(prepared, [1000]);
  clock.advance(1000 - PREPARE_AFTER);
  pendingFrom = 1000; // the tick at 1000 is sent, not yet acknowledged
  clock.advance(2 * PREPARE_AFTER);
  assert.deepEqual(prepared, [1000], "waits while it is stored");
  pendingFrom = Infinity;
  clock.advance(PREPARE_AFTER);
  assert.deepEqual(prepared, [1000, 3000], "then prepares");
  pendingFrom = 3000; // the tick at 3000 is never acknowledged
  clock.advance(3000 - 1000 - 3 * PREPARE_AFTER);
  clock.advance((PREPARE_WAITS + 1) * PREPARE_AFTER - 1);
  assert.deepEqual(prepared, [1000, 3000]);
  clock.advance(1);
  assert.deepEqual(prepared, [1000, 3000, 5000], "at most PREPARE_WAITS later");
});

Deno.test("with early set, the timer is set that much before and the rest waited out", () => {
  const clock = new FakeClock(0);
  const sentAt: number[] = [];
  const queue = new TimerQueue<Job>({
    standbyDelay: 500,
    clock,
    early: 3,
    send: (_item, now) => sentAt.push(now),
    advance: () => false,
  });
  queue.add([job("a", 1000)]);
  assert.deepEqual(clock.delays, [997]);
  clock.advance(997); // the fake clock stands still while the queue waits: it gives up
  assert.deepEqual(sentAt, [], "not sent before its time");
  clock.advance(3);
  assert.deepEqual(sentAt, [1000]);
});

Deno.test("a herd is handed on FIRE_SLICE jobs a turn, marked as firing; its jobs are queued again after the last", () => {
  let slicing = 0;
  const { clock, queue, sent } = setup(500, 0, { onSlices: () => slicing++ });
  const herd = Array.from(
    { length: 2 * FIRE_SLICE + 1 },
    (_, i) => job(`j${i}`, 1000, 1000),
  );
  queue.add(herd);
  const between: [number, number, number][] = [];
  // Set after the queue's timer, so run after its first slice, and again after each.
  const look = () => {
    between.push([sent.length, queue.sentThrough, queue.firing]);
    if (sent.length < herd.length) clock.setTimeout(look, 0);
  };
  clock.setTimeout(look, 1000);
  clock.advance(1000);
  assert.deepEqual(between, [
    [FIRE_SLICE, 999, 1000],
    [2 * FIRE_SLICE, 999, 1000],
    [2 * FIRE_SLICE + 1, 1000, 0],
  ]);
  assert.equal(slicing, 1, "told once, after the first slice");
  assert.equal(queue.size, herd.length, "all queued again, at their next tick");
  clock.advance(1000);
  assert.equal(sent.length, 2 * herd.length);
});

Deno.test("a backup's first look waits as long as the whole firing took, its later slices included", () => {
  const { fake, queue, looked, sends } = timedQueue(
    (item) => item.name !== "theirs",
    0.1,
  );
  const mine = Array.from(
    { length: 2 * FIRE_SLICE - 1 },
    (_, i) => job(`m${i}`, 999),
  );
  queue.add([job("theirs", 998), ...mine]);
  // The timer runs 1 ms late: all are due; theirs first, then two slices of sends.
  sends.took = 1;
  fake.advance(998);
  assert.equal(Math.round(sends.took), 401);
  fake.advance(1498 + 400 - 401 - 998 - 1);
  assert.deepEqual(looked, [], "not after its own slice only");
  fake.advance(1);
  assert.deepEqual(
    looked.map(Math.round),
    [1898],
    "at 998 + 500, plus the 400 the whole firing took",
  );
  assert.ok(queue.settledThrough >= 998, "handed on since");
});
