import assert from "node:assert/strict";
import { everyInterval, nextEvery } from "./every.ts";

Deno.test("the @every interval: whole seconds, at least one", () => {
  assert.equal(everyInterval(1n), 1000);
  assert.equal(everyInterval(999_999_999n), 1000);
  assert.equal(everyInterval(90_500_000_000n), 90_000);
  assert.equal(everyInterval((1n << 63n) - 1n), 9_223_372_036_000);
});

Deno.test("@every ticks are anchor + k × interval, k ≥ 1, strictly after", () => {
  const anchor = Date.parse("2024-01-01T00:00:03Z");
  assert.equal(nextEvery(10_000, anchor - 60_000, anchor), anchor + 10_000);
  assert.equal(nextEvery(10_000, anchor, anchor), anchor + 10_000);
  assert.equal(nextEvery(10_000, anchor + 25_000, anchor), anchor + 30_000);
  assert.equal(nextEvery(10_000, anchor + 30_000, anchor), anchor + 40_000);
  assert.equal(nextEvery(1000, -1500, -2000), -1000);
});
