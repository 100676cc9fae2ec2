import assert from "node:assert/strict";
import type { JsMsg } from "@nats-io/jetstream";
import { createLogger } from "../ops/log.ts";
import { answer } from "./answer.ts";
import { notRun, type Outcome } from "./outcome.ts";
import { TICK } from "./_fixtures.ts";

const tick = TICK;

/** A logger keeping each line's level and message. */
function logger() {
  const lines: { level: string; msg: string }[] = [];
  const log = createLogger({
    level: "debug",
    write: (line) => lines.push(JSON.parse(line)),
  });
  return { log, lines };
}

/** A message recording how it was answered. */
function message(fail = false) {
  const answers: unknown[][] = [];
  const record = (kind: string) => (...args: unknown[]) => {
    if (fail) throw new Error("connection closed");
    answers.push([kind, ...args]);
  };
  const msg = { ack: record("ack"), nak: record("nak"), term: record("term") };
  return { msg: msg as unknown as JsMsg, answers };
}

Deno.test("answer: a success is acked and logged at debug", () => {
  const { log, lines } = logger();
  const { msg, answers } = message();
  const decided: Outcome = {
    outcome: "success",
    result: { outcome: "success", status: 200 },
    answer: { kind: "ack" },
  };
  answer(log, msg, tick, 1, decided);
  assert.deepEqual(answers, [["ack"]]);
  assert.deepEqual(lines.map((l) => [l.level, l.msg]), [
    ["debug", "run succeeded"],
  ]);
});

Deno.test("answer: a retry is naked with its delay", () => {
  const { log, lines } = logger();
  const { msg, answers } = message();
  const decided: Outcome = {
    outcome: "retry",
    result: { outcome: "retry", error: "HTTP 503" },
    answer: { kind: "nak", delay: 2000 },
  };
  answer(log, msg, tick, 1, decided);
  assert.deepEqual(answers, [["nak", 2000]]);
  assert.deepEqual(lines.map((l) => [l.level, l.msg]), [
    ["warn", "run failed; will retry"],
  ]);
});

Deno.test("answer: a superseded tick is terminated with its reason", () => {
  const { log, lines } = logger();
  const { msg, answers } = message();
  answer(log, msg, tick, 1, notRun("superseded", "definition removed"));
  assert.deepEqual(answers, [["term", "definition removed"]]);
  assert.deepEqual(lines.map((l) => [l.level, l.msg]), [
    ["info", "tick superseded; not run"],
  ]);
});

Deno.test("answer: a queue that cannot be answered is logged, not thrown", () => {
  const { log, lines } = logger();
  const { msg } = message(true);
  answer(log, msg, tick, 1, notRun("skipped", "busy"));
  assert.deepEqual(lines.map((l) => [l.level, l.msg]), [
    ["info", "tick skipped; not run"],
    ["warn", "could not answer the queue; the tick will be redelivered"],
  ]);
});
