import assert from "node:assert/strict";
import { InvalidJobError } from "../errors.ts";
import type { JobPolicy } from "../types.ts";
import { storedPolicy, validatePolicy } from "./policy.ts";
import { HttpJob } from "./http/job.ts";

Deno.test("validatePolicy() accepts the documented policy", () => {
  validatePolicy({
    overlap: "skip",
    catchup: "latest",
    catchupWindow: "1h",
    jitter: "30s",
    start: new Date("2027-01-01T00:00:00Z"),
    end: "2027-06-30T00:00:00Z",
    maxRuns: 100,
    retry: { maxAttempts: 3, delay: "2s", maxDelay: "1m" },
    pauseAfterFailures: 5,
  });
});

const BAD: [string, unknown, RegExp][] = [
  ["an unknown field", { overlaps: "skip" }, /unknown field "overlaps"/],
  ["an unknown overlap", { overlap: "queue" }, /overlap must be one of/],
  ["an unknown catchup", { catchup: "some" }, /catchup must be one of/],
  [
    "a catchupWindow over 24h",
    { catchupWindow: "25h" },
    /catchupWindow .* to 24h/,
  ],
  ["a negative jitter", { jitter: "-1s" }, /jitter/],
  ["a jitter that is no duration", { jitter: "soon" }, /jitter/],
  ["a bad start", { start: "tomorrow" }, /start must be a date/],
  ["start after end", {
    start: "2027-02-01T00:00:00Z",
    end: "2027-01-01T00:00:00Z",
  }, /start must be before end/],
  ["maxRuns 0", { maxRuns: 0 }, /maxRuns must be a whole number/],
  ["maxRuns 1.5", { maxRuns: 1.5 }, /maxRuns/],
  ["retry not an object", { retry: 3 }, /retry must be an object/],
  [
    "retry with an unknown field",
    { retry: { tries: 3 } },
    /unknown field "tries"/,
  ],
  ["retry.maxAttempts over 100", { retry: { maxAttempts: 101 } }, /1 to 100/],
  ["retry.delay 0s", { retry: { delay: "0s" } }, /retry.delay/],
  ["pauseAfterFailures -1", { pauseAfterFailures: -1 }, /pauseAfterFailures/],
];

for (const [what, policy, message] of BAD) {
  Deno.test(`validatePolicy() rejects ${what}`, () => {
    assert.throws(
      () => validatePolicy(policy as JobPolicy),
      (err: Error) =>
        err instanceof InvalidJobError && message.test(err.message),
    );
  });
}

Deno.test("storedPolicy() writes times as ISO 8601", () => {
  assert.deepEqual(
    storedPolicy({ end: "2027-06-30T02:00:00+02:00", maxRuns: 3 }),
    { end: "2027-06-30T00:00:00.000Z", maxRuns: 3 },
  );
});

Deno.test("HttpJob() takes a zone as a string or with the policy, and checks the policy", () => {
  const url = "https://example.com";
  assert.equal(HttpJob("@hourly", { url }, "Europe/Paris").tz, "Europe/Paris");
  const job = HttpJob("@hourly", { url }, {
    tz: "UTC",
    dst: "once",
    maxRuns: 2,
  });
  assert.deepEqual(
    { tz: job.tz, dst: job.dst, policy: job.policy },
    { tz: "UTC", dst: "once", policy: { maxRuns: 2 } },
  );
  assert.equal(HttpJob("@hourly", { url }, {}).policy, undefined);
  assert.throws(
    () => HttpJob("@hourly", { url }, { overlap: "never" as "skip" }),
    InvalidJobError,
  );
});
