import assert from "node:assert/strict";
import { NamespaceNames } from "../nats/names.ts";
import { parseSpec } from "../spec/spec.ts";
import { decodeTick } from "../wire/mod.ts";
import { advance, fireTime, JobRules } from "./rule.ts";
import { type Loading, scheduleJob } from "./schedule_job.ts";
import type { Scheduled } from "./types.ts";
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
    miss: () => {},
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

Deno.test("late at start under catchup none or latest: ticks whose send time is past the window are missed, the others skipped", () => {
  const job = {
    mode: "HTTP",
    spec: "*/2 * * * * *",
    option: { url: "http://x/y" },
  };
  for (const catchup of ["none", "latest"] as const) {
    const policy = { jitter: "1900ms", catchupWindow: "3s", catchup };
    for (let now = 20_000; now < 30_000; now += 100) {
      const loading: Loading = {
        key: "k",
        definition: {
          jobs: [{ ...job, policy }],
          anchor: new Date(0),
          paused: false,
        },
        specs: [parseSpec(job.spec)],
        definedAt: 0,
        revision: 1,
        bucketRevision: 1,
        now,
      };
      const rule = rules.of(policy, "k", 0);
      const given: { kind: string; first: number; last: number }[] = [];
      const seen: { item?: Scheduled } = {};
      const record =
        (kind: string) => (item: Scheduled, first: number, last: number) => {
          seen.item = item;
          given.push({ kind, first, last });
        };
      const item = scheduleJob(loading, 0, {
        names,
        rule,
        after: now - rule.window - rule.jitter,
        skip: record("skipped"),
        miss: record("missed"),
      })!;
      const late = seen.item;
      if (late === undefined) continue;
      // Each tick given up once, in order: missed ones first, and only those.
      let previous = -Infinity;
      for (const { kind, first, last } of given) {
        for (let at = first; at <= last; at += 2000) {
          assert.ok(at > previous, `${catchup} at ${now}: in order, once`);
          previous = at;
          const old: boolean = fireTime(names, late, at) < now - rule.window;
          assert.equal(
            kind,
            old ? "missed" : "skipped",
            `${catchup} at ${now}`,
          );
        }
      }
      // The tick sent next follows them: the latest late one under `latest`.
      assert.ok(item.due > previous);
      if (catchup === "latest") {
        assert.ok(
          fireTime(names, item, item.due) <= now,
          `${catchup} at ${now}`,
        );
      } else assert.ok(item.firesAt > now, `${catchup} at ${now}`);
    }
  }
});
