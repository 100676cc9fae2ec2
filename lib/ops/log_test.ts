import assert from "node:assert/strict";
import { createLogger, type LoggerOptions } from "./log.ts";

function record(options: LoggerOptions = {}) {
  const lines: string[] = [];
  return {
    lines,
    log: createLogger({ ...options, write: (l) => lines.push(l) }),
  };
}

Deno.test("createLogger() writes one JSON line per event, with its fields", () => {
  const { lines, log } = record();
  log.info("definition loaded", { key: "test", jobs: 1 });
  log.warn("disconnected from NATS", { server: "127.0.0.1:4222" });
  log.error("NATS error", { error: "boom" });
  assert.equal(lines.length, 3);
  const [info, warn, error] = lines.map((line) => JSON.parse(line));
  assert.ok(!isNaN(Date.parse(info.time)));
  assert.deepEqual({ ...info, time: undefined }, {
    time: undefined,
    level: "info",
    msg: "definition loaded",
    key: "test",
    jobs: 1,
  });
  assert.deepEqual([warn.level, warn.server], ["warn", "127.0.0.1:4222"]);
  assert.deepEqual([error.level, error.msg], ["error", "NATS error"]);
  assert.deepEqual(
    Object.keys(JSON.parse(lines[0])),
    ["time", "level", "msg", "key", "jobs"],
  );
});

Deno.test("createLogger() drops the lines below its level", () => {
  const info = record();
  info.log.debug("timer armed", { delay: 12 });
  assert.deepEqual(info.lines, []);
  assert.equal(info.log.debugEnabled, false);

  const warn = record({ level: "warn" });
  warn.log.info("definition loaded");
  warn.log.warn("tick missed");
  warn.log.error("NATS error");
  assert.deepEqual(warn.lines.map((l) => JSON.parse(l).level), [
    "warn",
    "error",
  ]);
});

Deno.test("createLogger() writes JSON debug lines at level debug", () => {
  const { lines, log } = record({ level: "debug" });
  assert.equal(log.debugEnabled, true);
  log.debug("tick published", { key: "test", lag: 3 });
  assert.deepEqual(
    { ...JSON.parse(lines[0]), time: undefined },
    {
      time: undefined,
      level: "debug",
      msg: "tick published",
      key: "test",
      lag: 3,
    },
  );
});

Deno.test("createLogger() writes readable text lines, quoting values with spaces", () => {
  const { lines, log } = record({ level: "debug", format: "text" });
  log.debug("timer armed", { delay: 12, key: "test", hosts: ["a", "b"] });
  log.info("stopping");
  log.warn("cannot reach NATS; retrying", {
    error: "connection refused",
    quote: 'say "hi"',
    empty: "",
    eq: "a=b",
  });
  assert.match(
    lines[0],
    /^\d{4}-\d\d-\d\dT[\d:.]+Z DEBUG timer armed delay=12 key=test hosts=\["a","b"\]$/,
  );
  assert.match(lines[1], /^\S+ INFO {2}stopping$/);
  assert.match(
    lines[2],
    /WARN {2}cannot reach NATS; retrying error="connection refused" quote="say \\"hi\\"" empty="" eq="a=b"$/,
  );
});
