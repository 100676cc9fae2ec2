import assert from "node:assert/strict";
import { parseSpec } from "../spec/spec.ts";
import { recordingLogger } from "../../tests/helpers.ts";
import { FakeClock } from "./_fake_clock.ts";
import { zeroNodeMetrics } from "./_util.ts";
import { CHECK_DELAY, CHECK_WITHIN, GivenUpTicks } from "./given_up.ts";
import type { TickRange } from "./stored_ticks.ts";
import type { Scheduled } from "./types.ts";

const item = {
  key: "k",
  index: 0,
  spec: parseSpec("* * * * * *"),
  anchor: 0,
  subject: "schedule.beta.jobs.k.0",
  rule: { jitter: 0, window: 60_000 },
} as Scheduled;

/** Lets the promises waiting on each other settle. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("ticks given up while a check reads the stream wait CHECK_DELAY too before their own", async () => {
  const clock = new FakeClock(100_000);
  const reads: { at: number; first: number }[] = [];
  const read = Promise.withResolvers<void>();
  const metrics = zeroNodeMetrics();
  const givenUp = new GivenUpTicks({
    stream: { connected: true },
    metrics,
    log: recordingLogger(),
    clock,
    stored: async (ranges: readonly TickRange[]) => {
      reads.push({ at: clock.now(), first: ranges[0].first });
      if (reads.length === 1) await read.promise;
      return ranges.map(() => new Set<number>());
    },
  });
  givenUp.giveUp(item, 90_000, 90_000, "missed", "test");
  clock.advance(CHECK_DELAY);
  await settle();
  assert.deepEqual(reads, [{ at: 102_000, first: 90_000 }]);
  // Given up while the first batch is being read.
  givenUp.giveUp(item, 91_000, 91_000, "missed", "test");
  read.resolve();
  await settle();
  assert.equal(
    reads.length,
    1,
    "not read at once: another node's copy may land",
  );
  clock.advance(CHECK_DELAY);
  await settle();
  assert.deepEqual(reads[1], { at: 104_000, first: 91_000 });
  await givenUp.checked();
  assert.equal(metrics.missed, 2);
});

Deno.test("a check that cannot be trusted yet is tried again, up to CHECK_WITHIN: a read that failed, a tick unanswered before the stream answers again", async () => {
  const clock = new FakeClock(100_000);
  const metrics = zeroNodeMetrics();
  const log = recordingLogger();
  let failing = true;
  const stored = new Set<number>();
  const reads: number[] = [];
  const givenUp = new GivenUpTicks({
    stream: { connected: true },
    metrics,
    log,
    clock,
    stored: (ranges: readonly TickRange[]) => {
      reads.push(clock.now());
      if (failing) return Promise.reject(new Error("timeout"));
      return Promise.resolve(ranges.map(() => stored));
    },
  });
  const wait = async (ms: number) => {
    clock.advance(ms);
    await settle();
  };
  // A read that fails is tried again, and the tick found once the stream answers.
  givenUp.giveUp(item, 90_000, 90_000, "missed", "test");
  await wait(CHECK_DELAY);
  await wait(CHECK_DELAY);
  assert.equal(reads.length, 2);
  assert.equal(metrics.missed, 0, "not counted while the read fails");
  failing = false;
  stored.add(90_000);
  await wait(CHECK_DELAY);
  assert.equal(metrics.missed, 0, "another copy of it was stored");
  // A tick whose publish had no answer waits for the stream to answer one again: a
  // stream without quorum stores it then, and a read before does not see it.
  reads.length = 0;
  givenUp.giveUp(item, 91_000, 91_000, "missed", "no acknowledgement", true);
  await wait(CHECK_DELAY);
  await wait(CHECK_DELAY);
  assert.deepEqual(reads, [], "no read before the stream answers");
  givenUp.answered();
  stored.add(91_000);
  await wait(CHECK_DELAY);
  assert.equal(reads.length, 1);
  assert.equal(metrics.missed, 0);
  // Not for ever: past CHECK_WITHIN, counted as the read says, `unchecked` if it fails.
  failing = true;
  givenUp.giveUp(item, 92_000, 92_000, "missed", "test");
  for (let waited = 0; waited <= CHECK_WITHIN; waited += CHECK_DELAY) {
    await wait(CHECK_DELAY);
  }
  await givenUp.checked();
  assert.equal(metrics.missed, 1);
  assert.equal(log.lines.at(-1)?.unchecked, "timeout");
});
