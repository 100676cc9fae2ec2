import assert from "node:assert/strict";
import { absolute, relative, span } from "./format.ts";

Deno.test("span() keeps the two largest units", () => {
  assert.equal(span(0), "0ms");
  assert.equal(span(12_000), "12s");
  assert.equal(span(3_600_000), "1h");
  assert.equal(span(3_601_000), "1h");
  assert.equal(span(3_660_000), "1h 1m");
});

Deno.test("absolute() and relative() read the job's zone and now", () => {
  const at = new Date("2027-07-01T12:00:00Z");
  assert.equal(
    absolute(at, "America/New_York"),
    "2027-07-01 08:00:00 America/New_York",
  );
  assert.equal(relative(at, at), "in 0ms");
});
