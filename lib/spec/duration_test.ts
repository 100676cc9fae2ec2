import assert from "node:assert/strict";
import { parseDuration, parseNanoseconds } from "./duration.ts";
import { InvalidSpecError } from "../errors.ts";

Deno.test("Go durations", () => {
  assert.equal(parseDuration("15s"), 15_000);
  assert.equal(parseDuration("1m30s"), 90_000);
  assert.equal(parseDuration("1.5h"), 5_400_000);
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("1h2m3s4ms"), 3_723_004);
  assert.equal(parseDuration("-2s"), -2000);
  assert.equal(parseDuration(".5s"), 500);
  assert.equal(parseDuration("0"), 0);
  // Units that are members of every object ("constructor") are no units either.
  for (
    const bad of [
      "",
      "5",
      "s",
      "1d",
      "1.5.5s",
      "1 s",
      "1constructor",
      "2toString",
    ]
  ) {
    assert.throws(() => parseDuration(bad), InvalidSpecError, bad);
  }
});

Deno.test("Go durations in nanoseconds: fractions cut, int64 range", () => {
  assert.equal(parseNanoseconds("0.6ns"), 0n);
  assert.equal(parseNanoseconds("1.9ns"), 1n);
  assert.equal(parseNanoseconds("-0us"), 0n);
  assert.equal(parseNanoseconds("1.s"), 1_000_000_000n);
  assert.equal(parseNanoseconds("µs".replace("µs", "3µs")), 3000n);
  assert.equal(parseNanoseconds("9223372036854775807ns"), (1n << 63n) - 1n);
  assert.equal(parseNanoseconds("-9223372036854775808ns"), -(1n << 63n));
  for (
    const huge of [
      "9223372036854775808ns",
      "2562048h",
      "99999999999999999999999h",
      "-2562048h",
    ]
  ) {
    assert.throws(
      () => parseNanoseconds(huge),
      (err: Error) =>
        err instanceof InvalidSpecError &&
        err.message.includes("at most 2562047h47m16.854775807s"),
      huge,
    );
  }
  for (
    const bad of [
      ".",
      "+",
      "6e3s",
      "1S",
      "1h 2m",
    ]
  ) {
    assert.throws(() => parseNanoseconds(bad), InvalidSpecError, bad);
  }
});
