import assert from "node:assert/strict";
import { NamespaceNames } from "../nats/names.ts";
import { createLogger } from "../ops/log.ts";
import type { RunRecord } from "../types.ts";
import { decodeRunRecord } from "../wire/mod.ts";
import { previousAttemptLost, RunHistory } from "./history.ts";
import { NoStreamError } from "../nats/stream_sender.ts";

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

/** A sender handing each publish to `publish`, connected unless told. */
function sender(
  publish: (subject: string, data: Uint8Array) => void,
  connected = true,
) {
  const reconnected: (() => void)[] = [];
  return {
    connected,
    publish: async (subject: string, data: Uint8Array) => {
      await Promise.resolve();
      publish(subject, data);
      return { seq: 1, duplicate: false };
    },
    onReconnect: (listener: () => void) => reconnected.push(listener),
    reconnect() {
      this.connected = true;
      for (const listener of reconnected) listener();
    },
  };
}

function logLines() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    write: (line) => lines.push(JSON.parse(line)),
  });
  return { log, lines };
}

const names = new NamespaceNames("beta");
/** A run history stream that never needs creating. */
const noRestore = () => Promise.resolve(false);

Deno.test("a record is written on its job's run subject", async () => {
  const written: [string, RunRecord][] = [];
  const { log, lines } = logLines();
  const metrics = { unrecorded: 0 };
  const history = new RunHistory(
    sender((subject, data) => written.push([subject, decodeRunRecord(data)])),
    names,
    log,
    metrics,
    noRestore,
  );
  assert.equal(await history.write(record), true);
  assert.deepEqual(written, [[names.runSubject("test", 1), record]]);
  assert.deepEqual(lines, []);
  assert.equal(metrics.unrecorded, 0);
});

Deno.test("a record that cannot be written is logged and counted, not thrown", async () => {
  const { log, lines } = logLines();
  const metrics = { unrecorded: 0 };
  const history = new RunHistory(
    sender(() => {
      throw new Error("connection closed");
    }),
    names,
    log,
    metrics,
    noRestore,
  );
  assert.equal(await history.write(record), false);
  assert.equal(metrics.unrecorded, 1);
  assert.equal(lines.length, 1);
  assert.equal(lines[0].level, "warn");
  assert.equal(lines[0].msg, "run not recorded in the history");
  assert.equal(lines[0].key, "test");
  assert.equal(lines[0].index, 1);
  assert.equal(lines[0].scheduledAt, "2030-01-01T00:00:00.000Z");
  assert.equal(lines[0].error, "connection closed");
});

Deno.test("a record written while NATS is down waits for it to be back", async () => {
  const written: string[] = [];
  const { log, lines } = logLines();
  const down = sender((subject) => written.push(subject), false);
  const history = new RunHistory(
    down,
    names,
    log,
    { unrecorded: 0 },
    noRestore,
  );
  const writing = history.write(record);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(written, [], "nothing sent while down");
  down.reconnect();
  assert.equal(await writing, true);
  assert.deepEqual(written, [names.runSubject("test", 1)]);
  assert.deepEqual(lines, []);
});

Deno.test("records that find no stream have it created again, once, and are sent again", async () => {
  const written: string[] = [];
  let stream = false;
  let restores = 0;
  const { log, lines } = logLines();
  const metrics = { unrecorded: 0 };
  const history = new RunHistory(
    sender((subject) => {
      if (!stream) throw new NoStreamError(names.runStream);
      written.push(subject);
    }),
    names,
    log,
    metrics,
    async () => {
      restores++;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return stream = true;
    },
  );
  assert.deepEqual(
    await Promise.all([history.write(record), history.write(record)]),
    [true, true],
  );
  assert.equal(restores, 1, "one attempt for both");
  assert.equal(written.length, 2);
  assert.equal(metrics.unrecorded, 0);
  assert.deepEqual(lines.map(({ msg }) => msg), [
    "run history stream created again",
  ]);
  // A stream that cannot be created: the record is counted as not recorded.
  stream = false;
  const failing = new RunHistory(
    sender(() => {
      throw new NoStreamError(names.runStream);
    }),
    names,
    log,
    metrics,
    () => Promise.reject(new Error("no permission")),
  );
  assert.equal(await failing.write(record), false);
  assert.equal(metrics.unrecorded, 1);
  assert.deepEqual(lines.slice(1).map(({ msg }) => msg), [
    "run history stream not created again",
    "run not recorded in the history",
  ]);
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
  assert.equal(
    previousAttemptLost(
      [{ ...record, revision: 4 }],
      { ...tick, revision: 3 },
      2,
      100,
    ),
    false,
    "the tick's attempt run as its replacement's (a later revision)",
  );
});
