import assert from "node:assert/strict";
import { backfillTicks, backfillTime, firstUnsent } from "./backfill.ts";
import { tickBounds } from "../spec/ticks.ts";
import { InvalidBackfillError } from "../errors.ts";
import { parseSpec } from "../spec/spec.ts";
import { sendTime } from "../spec/jitter.ts";

const second = parseSpec("* * * * * *");

Deno.test("without jitter every past tick has been sent", () => {
  assert.equal(
    firstUnsent(second, 0, 0, 10_000, 0, (at) => at, 10_000),
    null,
  );
});

Deno.test("a tick whose send time (time + its jitter offset) is ahead is unsent", () => {
  // Offsets by tick: 10 s gets 500 ms, 11 s gets 800 ms: at 11.5 s, 10 s was sent.
  const offsets = new Map([[10_000, 500], [11_000, 800], [12_000, 0]]);
  const send = (at: number) => at + (offsets.get(at) ?? 0);
  assert.equal(
    firstUnsent(second, 0, 9_000, 12_000, 5000, send, 11_500),
    11_000,
  );
  // Once every send time passed, nothing is unsent.
  assert.equal(
    firstUnsent(second, 0, 9_000, 12_000, 5000, send, 12_000),
    null,
  );
});

Deno.test("ticks before the definition are never sent by the node: not unsent", () => {
  const send = (at: number) => at + 4000;
  assert.equal(
    firstUnsent(second, 0, 11_000, 12_000, 5000, send, 13_000),
    12_000,
  );
  assert.equal(
    firstUnsent(second, 0, 12_000, 12_000, 5000, send, 13_000),
    null,
  );
});

Deno.test("the repro of a 150 s jitter: a tick 2 min old whose send time is ahead is unsent", () => {
  const jitter = 150_000;
  const every5m = parseSpec("@every 5m");
  const send = (at: number) =>
    sendTime(every5m, 0, `beta.j.0.${at}`, at, jitter);
  const definedAt = 1_800_000_000_000;
  // A tick whose offset is more than 2 min: it is sent after the duplicate window.
  let late = definedAt + 300_000;
  while (send(late) - late < 125_000) late += 300_000;
  const now = late + 121_000;
  const first = firstUnsent(every5m, 0, definedAt, late, jitter, send, now);
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
