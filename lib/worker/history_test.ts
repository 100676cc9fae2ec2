import assert from "node:assert/strict";
import type { JetStreamClient } from "@nats-io/jetstream";
import { NamespaceNames } from "../nats/names.ts";
import { createLogger } from "../ops/log.ts";
import type { RunRecord } from "../types.ts";
import { decodeRunRecord } from "../wire/mod.ts";
import { previousAttemptLost, writeRun } from "./history.ts";

const record: RunRecord = {
  key: "test",
  index: 1,
  scheduledAt: new Date("2030-01-01T00:00:00Z"),
  attempt: 1,
  startedAt: new Date("2030-01-01T00:00:00.010Z"),
  durationMs: 5,
  outcome: "success",
  worker: "w1",
  status: 200,
};

/** A namespace whose JetStream client hands each publish to `publish`. */
function namespace(publish: (subject: string, data: Uint8Array) => void) {
  const js = {
    publish: async (subject: string, data: Uint8Array) => {
      await Promise.resolve();
      publish(subject, data);
      return { stream: "runs", seq: 1, duplicate: false };
    },
  } as unknown as JetStreamClient;
  return { js, names: new NamespaceNames("beta") };
}

function logLines() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    write: (line) => lines.push(JSON.parse(line)),
  });
  return { log, lines };
}

Deno.test("a record is written on its job's run subject", async () => {
  const written: [string, RunRecord][] = [];
  const { log, lines } = logLines();
  await writeRun(
    namespace((subject, data) =>
      written.push([subject, decodeRunRecord(data)])
    ),
    log,
    record,
  );
  assert.deepEqual(written, [[
    new NamespaceNames("beta").runSubject("test", 1),
    record,
  ]]);
  assert.deepEqual(lines, []);
});

Deno.test("a record that cannot be written is logged, not thrown", async () => {
  const { log, lines } = logLines();
  await writeRun(
    namespace(() => {
      throw new Error("connection closed");
    }),
    log,
    record,
  );
  assert.equal(lines.length, 1);
  assert.equal(lines[0].level, "warn");
  assert.equal(lines[0].msg, "run not recorded in the history");
  assert.equal(lines[0].key, "test");
  assert.equal(lines[0].index, 1);
  assert.equal(lines[0].scheduledAt, "2030-01-01T00:00:00.000Z");
  assert.equal(lines[0].error, "connection closed");
});

Deno.test("previousAttemptLost() finds an attempt of the tick with no record", () => {
  const tick = {
    namespace: "beta",
    key: "test",
    index: 1,
    scheduledAt: record.scheduledAt,
    mode: "log",
    spec: "@hourly",
    option: {},
  };
  const other = { ...record, scheduledAt: new Date("2030-01-01T00:01:00Z") };
  assert.equal(previousAttemptLost([], tick, 1, 100), false, "a first try");
  assert.equal(previousAttemptLost([record], tick, 2, 100), false);
  assert.equal(previousAttemptLost([record, other], tick, 3, 100), true);
  assert.equal(previousAttemptLost([other], tick, 2, 100), true);
  assert.equal(
    previousAttemptLost([other], tick, 2, 1),
    false,
    "a full history may have dropped the tick's records",
  );
  assert.equal(
    previousAttemptLost(
      [{ ...record, revision: 2 }],
      { ...tick, revision: 3 },
      2,
      100,
    ),
    true,
    "a record of another definition's tick",
  );
});
