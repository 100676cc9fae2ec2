import assert from "node:assert/strict";
import { CronSteps, type DstRule } from "./cron.ts";
import { parseFields } from "./grammar.ts";
import { Zone } from "./zone.ts";

function runs(
  spec: string,
  zone: string,
  from: string,
  dst: DstRule,
  count = 3,
): string[] {
  const steps = new CronSteps(
    parseFields(spec, spec.split(" ")),
    Zone.of(zone),
    dst,
  );
  const out: string[] = [];
  for (let t = Date.parse(from) / 1000; out.length < count;) {
    const next = steps.next(t)!;
    out.push(new Date(next * 1000).toISOString().replace(".000Z", "Z"));
    t = next + 1;
  }
  return out;
}

Deno.test("a day a zone skips never fires (Apia, 2011-12-30)", () => {
  assert.deepEqual(
    runs("0 0 12 * * *", "Pacific/Apia", "2011-12-28T00:00:00Z", "exact"),
    [
      "2011-12-28T22:00:00Z",
      "2011-12-29T22:00:00Z",
      "2011-12-30T22:00:00Z",
    ],
  );
});

Deno.test("a change at local midnight: the day starts at 01:00 (Havana)", () => {
  // 2025-03-09 00:00 CST -> 01:00 CDT
  assert.deepEqual(
    runs("0 30 0 * * *", "America/Havana", "2025-03-08T00:00:00Z", "exact", 2),
    [
      "2025-03-08T05:30:00Z",
      "2025-03-10T04:30:00Z",
    ],
  );
  assert.deepEqual(
    runs("0 30 0 * * *", "America/Havana", "2025-03-08T06:00:00Z", "once", 2),
    [
      "2025-03-09T05:00:00Z",
      "2025-03-10T04:30:00Z",
    ],
  );
});

Deno.test("a 30-minute change (Lord Howe): each repeated wall time twice, or once", () => {
  // 2025-04-06 02:00 +11 -> 01:30 +10:30
  const exact = runs(
    "0 45 1 * * *",
    "Australia/Lord_Howe",
    "2025-04-05T12:00:00Z",
    "exact",
    2,
  );
  assert.deepEqual(exact, ["2025-04-05T14:45:00Z", "2025-04-05T15:15:00Z"]);
  const once = runs(
    "0 45 1 * * *",
    "Australia/Lord_Howe",
    "2025-04-05T12:00:00Z",
    "once",
    2,
  );
  assert.deepEqual(once, ["2025-04-05T14:45:00Z", "2025-04-06T15:15:00Z"]);
});
