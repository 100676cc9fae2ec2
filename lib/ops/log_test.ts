import assert from "node:assert/strict";
import { createLogger } from "./log.ts";

function record(debug: boolean) {
  const lines: string[] = [];
  return { lines, log: createLogger({ debug, write: (l) => lines.push(l) }) };
}

Deno.test("createLogger() writes one JSON line per event, with its fields", () => {
  const { lines, log } = record(false);
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

Deno.test("createLogger() drops debug lines unless in debug mode", () => {
  const { lines, log } = record(false);
  log.debug("timer armed", { delay: 12 });
  assert.deepEqual(lines, []);
});

Deno.test("createLogger() writes readable text lines in debug mode", () => {
  const { lines, log } = record(true);
  log.debug("timer armed", { delay: 12, key: "test", hosts: ["a", "b"] });
  log.info("stopping");
  assert.match(
    lines[0],
    /^\d{4}-\d\d-\d\dT[\d:.]+Z DEBUG timer armed delay=12 key=test hosts=\["a","b"\]$/,
  );
  assert.match(lines[1], /^\S+ INFO {2}stopping$/);
});
