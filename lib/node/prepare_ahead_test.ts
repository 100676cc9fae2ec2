import assert from "node:assert/strict";
import { FakeClock } from "./_fake_clock.ts";
import {
  PREPARE_AFTER,
  PREPARE_SLICE,
  PREPARE_WITHIN,
  PrepareAhead,
} from "./prepare_ahead.ts";
import type { Queued } from "./timer_queue.ts";

interface Job extends Queued {
  name: string;
}

const job = (name: string, due: number): Job => ({
  name,
  due,
  firesAt: due,
  sendAt: due,
  backup: false,
  live: true,
});

function setup(owns: (item: Job) => boolean = () => true) {
  const clock = new FakeClock(0);
  const prepared: string[] = [];
  const ahead = new PrepareAhead<Job>({
    clock,
    owns,
    prepare: (item) => prepared.push(item.name),
  });
  return { clock, prepared, ahead };
}

Deno.test("a far tick is prepared when it comes within PREPARE_WITHIN, if still live and owned then", () => {
  let theirs = "none";
  const { clock, prepared, ahead } = setup((item) => item.name !== theirs);
  const hour = 3_600_000;
  const removed = job("removed", hour);
  ahead.queued([
    job("near", 2000),
    job("hourly", hour),
    job("moved", hour),
    removed,
  ], 0);
  clock.advance(PREPARE_AFTER);
  assert.deepEqual(prepared, ["near"]);
  removed.live = false;
  theirs = "moved"; // another node owns it now
  clock.advance(hour - PREPARE_WITHIN - PREPARE_AFTER - 1);
  assert.deepEqual(prepared, ["near"]);
  clock.advance(1);
  assert.deepEqual(prepared, ["near", "hourly"]);
  ahead.stop();
  assert.equal(clock.pending, 0);
});

Deno.test("removed far jobs are dropped as the far heap grows; the live ones are all prepared", () => {
  const { clock, prepared, ahead } = setup();
  const far = Array.from({ length: 7000 }, (_, i) => job(`j${i}`, 100_000 + i));
  ahead.queued(far.slice(0, 2000), 0);
  clock.advance(PREPARE_AFTER);
  for (const item of far.slice(0, 1500)) item.live = false;
  ahead.queued(far.slice(2000), 0);
  clock.advance(PREPARE_AFTER);
  clock.advance(100_000);
  assert.equal(prepared.length, 5500);
  assert.equal(new Set(prepared).size, 5500);
});

Deno.test("a batch that doubles the far heap counts it compact: the next sort makes no pass over it", () => {
  const { clock, ahead } = setup();
  let reads = 0;
  /** A far job that counts the reads of `live` (a compaction reads every job's). */
  const counted = (name: string, due: number): Job => {
    let live = true;
    return Object.defineProperty(job(name, due), "live", {
      get: () => (reads++, live),
      set: (value: boolean) => live = value,
    });
  };
  ahead.queued([counted("a", 100_000)], 0);
  clock.advance(PREPARE_AFTER);
  const herd = Array.from(
    { length: 5000 },
    (_, i) => counted(`b${i}`, 100_000 + i),
  );
  ahead.queued(herd, 0);
  clock.advance(PREPARE_AFTER);
  reads = 0;
  ahead.queued([job("c", 100_000)], 0);
  clock.advance(PREPARE_AFTER);
  assert.equal(reads, 0);
  ahead.stop();
});

Deno.test("a long queue is prepared a slice a turn of the event loop; stop drops the slices left", () => {
  const clock = new FakeClock(0);
  const prepared: string[] = [];
  let stopAt = Infinity;
  const ahead: PrepareAhead<Job> = new PrepareAhead<Job>({
    clock,
    owns: () => true,
    prepare: (item) => {
      prepared.push(item.name);
      if (prepared.length === stopAt) ahead.stop();
    },
  });
  const jobs = (n: number) =>
    Array.from({ length: n }, (_, i) => job(`j${i}`, 10_000));
  ahead.queued(jobs(2 * PREPARE_SLICE + 10), 0);
  clock.advance(PREPARE_AFTER);
  assert.equal(prepared.length, 2 * PREPARE_SLICE + 10, "all, over 3 turns");
  assert.equal(clock.delays.filter((delay) => delay === 0).length, 2);

  prepared.length = 0;
  stopAt = PREPARE_SLICE;
  ahead.queued(jobs(2 * PREPARE_SLICE), 0);
  clock.advance(PREPARE_AFTER);
  assert.equal(prepared.length, PREPARE_SLICE, "the first slice only");
  assert.equal(clock.pending, 0);
});
