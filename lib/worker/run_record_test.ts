import assert from "node:assert/strict";
import type { Tick } from "../types.ts";
import { RESPONSE_LIMIT, runRecord } from "./run_record.ts";

const tick: Tick = {
  namespace: "beta",
  key: "test",
  index: 2,
  scheduledAt: new Date("2030-01-01T00:00:00Z"),
  mode: "HTTP",
  spec: "@hourly",
  option: { url: "https://api.example.com/hook" },
};

Deno.test("a record of the tick, the attempt and the result", () => {
  const startedAt = new Date("2030-01-01T00:00:00.100Z");
  const record = runRecord({
    tick,
    attempt: 3,
    startedAt,
    endedAt: new Date("2030-01-01T00:00:00.350Z"),
    outcome: "failed",
    result: {
      outcome: "retry",
      status: 503,
      response: "down",
      error: "HTTP 503",
    },
    worker: "w1",
  });
  assert.deepEqual(record, {
    key: "test",
    index: 2,
    scheduledAt: tick.scheduledAt,
    attempt: 3,
    startedAt,
    durationMs: 250,
    outcome: "failed",
    worker: "w1",
    status: 503,
    response: "down",
    error: "HTTP 503",
  });
});

Deno.test("absent status, response and error are left out", () => {
  const record = runRecord({
    tick,
    attempt: 1,
    startedAt: new Date(0),
    endedAt: new Date(0),
    outcome: "success",
    result: { outcome: "success" },
    worker: "w1",
  });
  assert.ok(!("status" in record));
  assert.ok(!("response" in record));
  assert.ok(!("error" in record));
});

Deno.test("the response and the error are cut to the limit", () => {
  const long = "x".repeat(2 * 1024 * 1024);
  const record = runRecord({
    tick,
    attempt: 1,
    startedAt: new Date(0),
    endedAt: new Date(0),
    outcome: "failed",
    result: { outcome: "failed", response: long, error: long },
    worker: "w1",
  });
  assert.equal(record.response, "x".repeat(RESPONSE_LIMIT));
  assert.equal(record.error, "x".repeat(RESPONSE_LIMIT));
});
