import assert from "node:assert/strict";
import { parseSpec } from "../spec/spec.ts";
import { tickBounds } from "../spec/ticks.ts";
import { recordingLogger } from "../../tests/helpers.ts";
import {
  CatchUp,
  lastTicks,
  type LoadedJob,
  MISSED_COUNT_LIMIT,
} from "./catch_up.ts";
import { JobRules } from "./rule.ts";
import type { Loading } from "./schedule_job.ts";

const hook = { url: "https://api.example.com/hook" };

const SECOND = 1000;
const HOUR = 3600 * SECOND;

/** The last ticks of the jobs of `key`, at their indexes. */
function lastOf(key: string, times: (number | undefined)[]) {
  const last = lastTicks();
  last.set({ key, times });
  return last;
}
const definition = { jobs: [], anchor: new Date(0), paused: false };
const everySecond = parseSpec("* * * * * *");

function loaded(overrides: Partial<LoadedJob>): LoadedJob {
  return {
    spec: everySecond,
    definition,
    definedAt: 0,
    last: undefined,
    floor: 60 * SECOND,
    now: 120 * SECOND,
    ...overrides,
  };
}

Deno.test("the last tick of each job is kept", () => {
  const catchUp = new CatchUp(lastOf("a", [5000, , 7000]), HOUR);
  assert.equal(catchUp.last("a", 0), 5000);
  assert.equal(catchUp.last("a", 1), undefined);
  assert.equal(catchUp.last("a", 2), 7000);
  assert.equal(catchUp.last("b", 0), undefined);
});

Deno.test("ticks missed after the job's last tick in the queue, up to the floor", () => {
  const catchUp = new CatchUp(lastTicks(), HOUR);
  assert.deepEqual(catchUp.missed(loaded({ last: 50 * SECOND })), {
    count: 10,
    since: 50 * SECOND,
    first: 51 * SECOND,
  });
  assert.equal(catchUp.missed(loaded({ last: 60 * SECOND })), null);
  assert.equal(catchUp.missed(loaded({ last: 70 * SECOND })), null);
});

Deno.test("with no tick in the queue, ticks since the definition are missed while the queue would hold them", () => {
  const young = new CatchUp(lastTicks(), HOUR);
  assert.deepEqual(young.missed(loaded({ definedAt: 30 * SECOND })), {
    count: 30,
    since: 30 * SECOND,
    first: 31 * SECOND,
  });
  const old = loaded({ definedAt: 30 * SECOND, now: 2 * HOUR });
  assert.equal(young.missed(old), null, "older than the stream keeps ticks");
  const forever = new CatchUp(lastTicks(), 0);
  assert.deepEqual(forever.missed(old), {
    count: 30,
    since: 30 * SECOND,
    first: 31 * SECOND,
  });
});

Deno.test("with the job's last tick aged out of the queue, a tick due since then is missed", () => {
  // A daily job defined a month ago; the nodes were down across midnight.
  const DAY = 24 * HOUR;
  const midnight = 30 * DAY;
  const job = loaded({
    spec: parseSpec("0 0 0 * * *"),
    definedAt: 0,
    floor: midnight + 30 * SECOND,
    now: midnight + 90 * SECOND,
  });
  const catchUp = new CatchUp(lastTicks(), DAY);
  assert.deepEqual(catchUp.missed(job), {
    count: 1,
    since: midnight + 90 * SECOND - DAY,
    first: midnight,
  });
});

Deno.test("the count stops at MISSED_COUNT_LIMIT", () => {
  const catchUp = new CatchUp(lastTicks(), 0);
  const missed = catchUp.missed(loaded({ floor: 2 * HOUR, now: 2 * HOUR }));
  assert.deepEqual(missed, {
    count: MISSED_COUNT_LIMIT,
    since: 0,
    first: SECOND,
  });
});

Deno.test("a spec with no tick in the gap misses nothing", () => {
  const catchUp = new CatchUp(lastTicks(), HOUR);
  const hourly = parseSpec("@hourly");
  assert.equal(catchUp.missed(loaded({ spec: hourly, last: 0 })), null);
});

Deno.test("no tick outside the job's bounds is missed", () => {
  const catchUp = new CatchUp(lastTicks(), HOUR);
  const window = tickBounds({
    start: new Date(55 * SECOND),
    end: new Date(58 * SECOND),
  });
  assert.deepEqual(
    catchUp.missed(loaded({ last: 50 * SECOND, bounds: window })),
    { count: 4, since: 50 * SECOND, first: 55 * SECOND },
  );
  // Ticks 51 to 53 are runs 51 to 53 of a definition stored at 0.
  const limited = loaded({
    last: 50 * SECOND,
    bounds: tickBounds({ maxRuns: 53 }),
  });
  assert.deepEqual(catchUp.missed(limited), {
    count: 3,
    since: 50 * SECOND,
    first: 51 * SECOND,
  });
  const done = loaded({
    last: 50 * SECOND,
    bounds: tickBounds({ maxRuns: 50 }),
  });
  assert.equal(catchUp.missed(done), null);
});

Deno.test("from the nodes' record: a definition defers when newer, or with a tick due since", async () => {
  const settled = {
    through: 100 * SECOND,
    bucket: "b",
    revision: 5,
    node: "n",
  };
  const catchUp = new CatchUp(lastTicks(), HOUR, settled);
  const rules = new JobRules(60 * SECOND, 120 * SECOND, recordingLogger());
  const loading = (spec: string, bucketRevision: number, now: number) => ({
    key: "k",
    definition: {
      jobs: [{ spec, mode: "HTTP", option: hook }],
      anchor: new Date(0),
      paused: false,
    },
    specs: [parseSpec(spec)],
    definedAt: 0,
    revision: bucketRevision,
    bucketRevision,
    now,
  } as unknown as Loading);
  assert.equal(
    catchUp.defers(loading("0 * * * * *", 5, 110 * SECOND), rules),
    false,
  );
  assert.equal(
    catchUp.defers(loading("0 * * * * *", 5, 120 * SECOND), rules),
    true,
  );
  assert.equal(
    catchUp.defers(loading("0 0 0 1 1 *", 6, 110 * SECOND), rules),
    true,
  );
  // Covered by the record: the last tick is at least its time.
  assert.equal(catchUp.last("k", 0, 5), 100 * SECOND);
  assert.equal(
    catchUp.last("k", 0, 5, 3 * SECOND),
    97 * SECOND,
    "less the jitter",
  );
  assert.equal(
    catchUp.last("k", 0, 6),
    undefined,
    "newer: only what is stored",
  );
  const reads: string[] = [];
  const specReads: string[] = [];
  const last = { k: 104 * SECOND, j: undefined, m: null };
  await catchUp.readLast(
    [{ key: "k", index: 0 }, { key: "j", index: 1 }, { key: "m", index: 0 }],
    (key, index) => {
      reads.push(`${key}.${index}`);
      return Promise.resolve(last[key as keyof typeof last]);
    },
    (key, index) => {
      specReads.push(`${key}.${index}`);
      return Promise.resolve(103 * SECOND);
    },
  );
  assert.deepEqual(reads, ["k.0", "j.1", "m.0"]);
  assert.deepEqual(specReads, ["m.0"], "its last message is not of the spec");
  assert.equal(catchUp.last("k", 0, 6), 104 * SECOND);
  assert.equal(catchUp.last("j", 1, 6), undefined);
  assert.equal(catchUp.last("j", 1, 5), 100 * SECOND);
  assert.equal(catchUp.last("m", 0, 6), 103 * SECOND);
  assert.equal(
    catchUp.defers(loading("0 * * * * *", 6, 120 * SECOND), rules),
    false,
    "once read, nothing defers",
  );
});
