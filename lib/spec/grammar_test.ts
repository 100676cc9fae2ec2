import assert from "node:assert/strict";
import { parseSpecText } from "./grammar.ts";
import { InvalidSpecError } from "../errors.ts";

const valid = (source: string) => {
  try {
    parseSpecText(source);
    return true;
  } catch (err) {
    assert.ok(err instanceof InvalidSpecError);
    return false;
  }
};

Deno.test("fields are separated by Go's white space, not U+FEFF", () => {
  for (
    const space of [
      " ",
      "\t",
      "\n",
      "\v",
      "\f",
      "\r",
      "\u0085",
      "\u00a0",
      "\u2028",
      "\u3000",
    ]
  ) {
    assert.equal(valid(`0${space}0 12 * * *`), true, JSON.stringify(space));
  }
  assert.equal(valid("0\ufeff0 12 * * *"), false);
  assert.equal(valid("  0 0 12 * * *  "), true);
});

Deno.test("five fields are seconds 0, unless white space surrounds them", () => {
  assert.equal(parseSpecText("30 9 * * *").fields![0].mask.has(0), true);
  assert.equal(valid("30 9 * * *  "), false);
  assert.throws(
    () => parseSpecText("30 9 * * *  "),
    /has 5 fields with white space before or after/,
  );
  assert.equal(valid("0 0 0 * * * 2025"), false);
  // After a zone prefix too: the schedule is what follows its one space, untrimmed.
  assert.equal(valid("CRON_TZ=Europe/Paris 30 9 * * *"), true);
  assert.equal(valid("CRON_TZ=Europe/Paris 30 9 * * *  "), false);
  assert.equal(valid("TZ=UTC   30 9 * * *"), false);
  assert.equal(
    valid("TZ=UTC   0 30 9 * * *  "),
    true,
    "six fields: robfig trims",
  );
});

Deno.test("white space is trimmed in time linear in the spec's length", () => {
  // A run of 60,000 spaces inside took 4 s (a regular expression for both ends); 1 ms now.
  for (const source of ["CRON_TZ=UTC 0", "0"]) {
    const started = performance.now();
    assert.equal(valid(`${source}${" ".repeat(60_000)}0 0 * * *`), true);
    assert.ok(performance.now() - started < 1000, source);
  }
});

Deno.test("zone prefixes end at the first space", () => {
  assert.equal(parseSpecText("CRON_TZ=Asia/Tokyo  @daily").zone, "Asia/Tokyo");
  assert.equal(parseSpecText("TZ= 0 0 12 * * *").zone, "");
  assert.equal(parseSpecText("0 0 12 * * *").zone, undefined);
  assert.equal(
    parseSpecText("TZ=Europe/Paris\t0 0 12 * * *").zone,
    "Europe/Paris\t0",
  );
  assert.equal(valid(" TZ=Europe/Paris 0 0 12 * * *"), false);
  assert.equal(valid("tz=Europe/Paris 0 0 12 * * *"), false);
  assert.equal(valid("TZ=UTC TZ=UTC 0 0 12 * * *"), false);
});

Deno.test("descriptors are exact and lower case; @every takes one space", () => {
  assert.equal(valid("@weekly"), true);
  for (
    const bad of [
      "@Weekly",
      "@weekly ",
      " @weekly",
      "@every  5s",
      "@every\t5s",
      "@every 5s\n",
      "@every5s",
    ]
  ) {
    assert.equal(valid(bad), false, JSON.stringify(bad));
  }
  assert.equal(parseSpecText("@every 1.5s").every, 1_500_000_000n);
  assert.throws(
    () => parseSpecText("@every 5d"),
    /spec "@every 5d": invalid duration/,
  );
});
