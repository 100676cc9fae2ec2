import assert from "node:assert/strict";
import { countTicks, firstTickAfter } from "./ticks.ts";
import { parseSpec } from "./spec.ts";

const definition = { jobs: [], anchor: new Date(3000), paused: false };

Deno.test("the first tick is after both the time asked and the definition", () => {
  const spec = parseSpec("@every 10s");
  assert.equal(firstTickAfter(spec, definition, 0, 25_000), 33_000);
  assert.equal(firstTickAfter(spec, definition, 50_000, 25_000), 53_000);
});

Deno.test("ticks are counted in (from, to], up to the limit", () => {
  const spec = parseSpec("*/5 * * * * *");
  assert.equal(countTicks(spec, definition, 0, 20_000, 100), 4);
  assert.equal(countTicks(spec, definition, 0, 20_000, 2), 2);
  assert.equal(
    countTicks(parseSpec("0 0 0 30 2 *"), definition, 0, 1e12, 9),
    0,
  );
});
