import assert from "node:assert/strict";
import { backfillTicks, backfillTime, firstUnsent } from "./backfill.ts";
import { tickBounds } from "../spec/ticks.ts";
import { InvalidBackfillError } from "../errors.ts";
import { parseSpec } from "../spec/spec.ts";
import { jitterOffset } from "../spec/jitter.ts";

const second = parseSpec("* * * * * *");

Deno.test("without jitter every past tick has been sent", () => {
  assert.equal(
    firstUnsent(second, 0, 0, 10_000, 0, () => 0, 10_000),
    null,
  );
});

Deno.test("a tick whose send time (time + its jitter offset) is ahead is unsent", () => {
  // Offsets by tick: 10 s gets 500 ms, 11 s gets 3 s: at 11.5 s, 10 s was sent.
  const offsets = new Map([[10_000, 500], [11_000, 3000], [12_000, 0]]);
  const offset = (at: number) => offsets.get(at) ?? 0;
  assert.equal(
    firstUnsent(second, 0, 9_000, 12_000, 5000, offset, 11_500),
    11_000,
  );
  // A later tick whose own send time passed still waits for the one before it: the
  // node sends a job's ticks in order.
  assert.equal(
    firstUnsent(second, 0, 10_500, 12_000, 5000, offset, 12_500),
    11_000,
  );
  // Once every send time passed, nothing is unsent.
  assert.equal(
    firstUnsent(second, 0, 9_000, 12_000, 5000, offset, 14_000),
    null,
  );
});

Deno.test("ticks before the definition are never sent by the node: not unsent", () => {
  const offset = () => 4000;
  assert.equal(
    firstUnsent(second, 0, 11_000, 12_000, 5000, offset, 13_000),
    12_000,
  );
  assert.equal(
    firstUnsent(second, 0, 12_000, 12_000, 5000, offset, 13_000),
    null,
  );
});

Deno.test("the repro of a 150 s jitter: a tick 2 min old whose send time is ahead is unsent", () => {
  const jitter = 150_000;
  const offset = (at: number) => jitterOffset(`beta.j.0.${at}`, jitter);
  const definedAt = 1_800_000_000_000;
  // A tick whose offset is more than 2 min: it is sent after the duplicate window.
  let late = definedAt + 1000;
  while (offset(late) < 125_000) late += 1000;
  const now = late + 121_000;
  const first = firstUnsent(second, 0, definedAt, late, jitter, offset, now);
  assert.ok(first !== null && first <= late);
});

Deno.test("a time that is not one is refused with InvalidBackfillError", () => {
  for (const value of [undefined, 10n, 0, "yesterday", new Date(NaN), {}]) {
    assert.throws(() => backfillTime(value, "from"), InvalidBackfillError);
  }
});

Deno.test("backfill keeps to each job's start and end", () => {
  const every10s = parseSpec("@every 10s");
  const bounds = [
    tickBounds({ start: new Date(25_000), end: new Date(50_000) }),
    tickBounds(undefined),
    tickBounds({ start: new Date(100_000) }),
    tickBounds({ end: new Date(5_000) }),
  ];
  assert.deepEqual(
    backfillTicks(
      [every10s, every10s, every10s, every10s],
      0,
      10_000,
      60_000,
      60_000,
      bounds,
    ),
    [
      [30_000, 40_000, 50_000],
      [10_000, 20_000, 30_000, 40_000, 50_000, 60_000],
      [],
      [],
    ],
  );
  // A start on a tick's time keeps it.
  assert.deepEqual(
    backfillTicks([every10s], 0, 10_000, 30_000, 60_000, [
      tickBounds({ start: new Date(20_000) }),
    ]),
    [[20_000, 30_000]],
  );
});
