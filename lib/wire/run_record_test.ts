import assert from "node:assert/strict";
import { decodeRunRecord, encodeRunRecord } from "./run_record.ts";
import { CodecError } from "../errors.ts";
import type { RunRecord } from "../types.ts";

const bytes = (value: unknown) =>
  new TextEncoder().encode(JSON.stringify(value));
const record: RunRecord = {
  key: "test",
  index: 1,
  scheduledAt: new Date("2024-01-01T00:00:15Z"),
  attempt: 2,
  startedAt: new Date("2024-01-01T00:00:16Z"),
  durationMs: 12.5,
  outcome: "retry",
  status: 503,
  response: "busy",
  worker: "w1",
};
const stored = {
  version: 1,
  ...record,
  scheduledAt: "2024-01-01T00:00:15.000Z",
  startedAt: "2024-01-01T00:00:16.000Z",
};

Deno.test("decodeRunRecord() reads what encodeRunRecord() writes", () => {
  assert.deepEqual(decodeRunRecord(encodeRunRecord(record)), record);
  const failed = { ...record, outcome: "failed" as const, error: "timeout" };
  delete failed.status;
  assert.deepEqual(decodeRunRecord(encodeRunRecord(failed)), failed);
});

Deno.test("encodeRunRecord() writes versioned JSON with ISO times", () => {
  assert.deepEqual(
    JSON.parse(new TextDecoder().decode(encodeRunRecord(record))),
    stored,
  );
});

const BAD_RECORDS: [string, Uint8Array, RegExp][] = [
  ["not JSON", new TextEncoder().encode("{"), /not JSON/],
  ["a future version", bytes({ ...stored, version: 2 }), /version 2/],
  ["a bad scheduledAt", bytes({ ...stored, scheduledAt: 5 }), /scheduledAt/],
  ["a bad startedAt", bytes({ ...stored, startedAt: "now" }), /startedAt/],
  ["no key", bytes({ ...stored, key: undefined }), /invalid fields/],
  ["a fractional index", bytes({ ...stored, index: 0.5 }), /invalid fields/],
  ["no attempt", bytes({ ...stored, attempt: undefined }), /invalid fields/],
  ["a text duration", bytes({ ...stored, durationMs: "1" }), /invalid fields/],
  ["an unknown outcome", bytes({ ...stored, outcome: "ok" }), /invalid fields/],
  ["a text revision", bytes({ ...stored, revision: "3" }), /revision/],
  // Optional fields of the wrong type: each crashed a reader (a page, a command).
  ["a numeric error", bytes({ ...stored, error: 5 }), /fields: error$/],
  ["an object response", bytes({ ...stored, response: {} }), /: response$/],
  ["a text status", bytes({ ...stored, status: "200" }), /: status$/],
  ["no worker", bytes({ ...stored, worker: undefined }), /: worker$/],
  ["a numeric trigger", bytes({ ...stored, trigger: 1 }), /trigger/],
  ["an unknown trigger", bytes({ ...stored, trigger: "cron" }), /trigger/],
  ["a null error", bytes({ ...stored, error: null }), /: error$/],
];

for (const [what, input, message] of BAD_RECORDS) {
  Deno.test(`decodeRunRecord() rejects a record with ${what}`, () => {
    assert.throws(
      () => decodeRunRecord(input),
      (err: Error) => err instanceof CodecError && message.test(err.message),
    );
  });
}

Deno.test("decodeRunRecord() reads the superseded and interrupted outcomes and the revision", () => {
  for (const outcome of ["superseded", "interrupted"] as const) {
    const record = decodeRunRecord(bytes({ ...stored, outcome, revision: 3 }));
    assert.equal(record.outcome, outcome);
    assert.equal(record.revision, 3);
  }
  assert.equal(decodeRunRecord(bytes(stored)).revision, undefined);
});

Deno.test("decodeRunRecord() reads each trigger", () => {
  for (const trigger of ["schedule", "manual", "backfill"]) {
    assert.equal(
      decodeRunRecord(bytes({ ...stored, trigger })).trigger,
      trigger,
    );
  }
});
