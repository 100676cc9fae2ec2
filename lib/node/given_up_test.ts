import assert from "node:assert/strict";
import { parseSpec } from "../spec/spec.ts";
import { recordingLogger } from "../../tests/helpers.ts";
import { FakeClock } from "./_fake_clock.ts";
import { zeroNodeMetrics } from "./_util.ts";
import { CHECK_DELAY, GivenUpTicks } from "./given_up.ts";
import type { TickRange } from "./stored_ticks.ts";
import type { Scheduled } from "./types.ts";

const item = {
  key: "k",
  index: 0,
  spec: parseSpec("* * * * * *"),
  anchor: 0,
  subject: "schedule.beta.jobs.k.0",
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
