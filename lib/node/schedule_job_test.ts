import assert from "node:assert/strict";
import { NamespaceNames } from "../nats/names.ts";
import { parseSpec } from "../spec/spec.ts";
import { decodeTick } from "../wire/mod.ts";
import { advance, fireTime, JobRules } from "./rule.ts";
import { type Loading, scheduleJob } from "./schedule_job.ts";
import { createLogger } from "../ops/log.ts";

const names = new NamespaceNames("beta");
const rules = new JobRules(60_000, 120_000, createLogger({ write: () => {} }));

function jobOf(
  spec: string,
  tz: string | undefined,
  policy?: { jitter: string },
) {
  const job = { mode: "HTTP", spec, tz, policy, option: { url: "http://x/y" } };
  const loading: Loading = {
    key: "k",
    definition: { jobs: [job], anchor: new Date(0), paused: false },
    specs: [parseSpec(spec, tz)],
    definedAt: 0,
    revision: 4,
    bucketRevision: 4,
    now: Date.UTC(2026, 0, 1),
  };
  const rule = rules.of(policy, "k", 0);
  const item = scheduleJob(loading, 0, {
    names,
    rule,
    after: loading.now,
    skip: () => {},
  });
  assert.ok(item);
  return item;
}

Deno.test("a queued job's fire and send times follow its tick, jitter and backup wait", () => {
  const item = jobOf("0 * * * * *", undefined, { jitter: "20s" });
  for (let tick = 0; tick < 3; tick++) {
    assert.equal(item.firesAt, fireTime(names, item, item.due));
    assert.equal(item.sendAt, item.firesAt, "sent when it fires");
    item.sendAt = item.firesAt + 500.25;
    item.backup = true;
    assert.equal(
      item.sendAt,
      item.firesAt + 501,
      "a backup's wait in whole ms",
    );
    const { due } = item;
    assert.ok(advance(names, item));
    assert.equal(item.due, due + 60_000);
    item.sendAt = item.firesAt;
  }
});

Deno.test("a job moved to its next tick drops the tick prepared for the one it left", () => {
  const item = jobOf("0 * * * * *", undefined);
  item.prepared = {
    at: item.due,
    firesAt: item.firesAt,
    call: 0,
    bytes: new Uint8Array(1),
    size: 1,
  };
  assert.ok(advance(names, item));
  assert.equal(item.prepared, undefined);
});

Deno.test("a queued job encodes its ticks with its job's fields", () => {
  const item = jobOf("0 30 9 * * *", "Europe/Paris", { jitter: "1s" });
  const at = new Date(item.due);
  const tick = decodeTick(
    new TextEncoder().encode(item.tick(at, new Date(item.firesAt))),
  );
  assert.deepEqual(
    [tick.key, tick.index, tick.revision, tick.mode, tick.spec, tick.tz],
    ["k", 0, 4, "HTTP", "0 30 9 * * *", "Europe/Paris"],
  );
  assert.deepEqual(tick.option, { url: "http://x/y" });
  assert.deepEqual(tick.policy, { jitter: "1s" });
  assert.deepEqual([tick.scheduledAt, tick.firesAt], [
    at,
    new Date(item.firesAt),
  ]);
});
