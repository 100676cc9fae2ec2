import assert from "node:assert/strict";
import type { NatsConnection } from "@nats-io/nats-core";
import {
  BackfillTooLargeError,
  ConflictError,
  HttpJob,
  InvalidBackfillError,
  type JobPolicy,
  NotFoundError,
  Schedule,
  type ScheduleEvent,
} from "../mod.ts";
import { Worker } from "../lib/worker/mod.ts";
import { NatsServer } from "./nats_server.ts";
import { followTicks, recordingLogger, waitFor } from "./helpers.ts";
import { Kvm } from "@nats-io/kv";
import { jetstreamManager } from "@nats-io/jetstream";
import { NamespaceNames } from "../lib/nats/names.ts";
import { sendTime } from "../lib/spec/jitter.ts";
import { parseSpec } from "../lib/spec/spec.ts";

const hook = { url: "https://api.example.com/hook" };

async function withClient(
  fn: (schedule: Schedule, nc: NatsConnection, server: NatsServer) => Promise<
    void
  >,
) {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  try {
    await fn(await Schedule.create("beta", nc), nc, server);
  } finally {
    await nc.close();
  }
}

/** A local HTTP receiver counting requests by their Schedule-Scheduled-At, if any. */
function receiver() {
  const received: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      received.push(await req.text());
      return new Response("ok");
    },
  );
  return {
    received,
    url: `http://127.0.0.1:${server.addr.port}/hook`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test("trigger and backfill go through the queue and the worker; a time that ran is not run again", () =>
  withClient(async (schedule, nc, server) => {
    await using hookServer = receiver();
    // A spec that does not fire during the test: only triggered and backfilled ticks run.
    await schedule.set(
      "report",
      HttpJob("0 0 0 1 1 *", { url: hookServer.url }),
    );
    const workerNc = await server.connect();
    const worker = await Worker.start(workerNc, {
      namespace: "beta",
      logger: recordingLogger(),
      retryDelay: 100,
    });
    const ticks = await followTicks(nc, "beta");
    try {
      const before = Date.now();
      const tick = await schedule.trigger("report", { by: "alice" });
      assert.equal(tick.trigger, "manual");
      assert.equal(tick.key, "report");
      assert.ok(tick.scheduledAt.getTime() >= before);
      await waitFor(
        "the manual run",
        async () => (await schedule.history("report")).length === 1,
      );
      const [run] = await schedule.history("report");
      assert.equal(run.outcome, "success");
      assert.equal(run.scheduledAt.getTime(), tick.scheduledAt.getTime());

      // A job whose spec fires every second, anchored in the past: backfill 3 s.
      await schedule.set(
        "every",
        HttpJob("* * * * * *", { url: hookServer.url }),
      );
      const to = Math.floor(Date.now() / 1000) * 1000 - 10_000;
      const from = to - 2000;
      assert.equal(
        await schedule.backfill("every", {
          from: new Date(from),
          to: new Date(to).toISOString(),
        }),
        3,
      );
      await waitFor(
        "3 backfilled runs",
        async () => (await schedule.history("every")).length === 3,
      );
      const times = (await schedule.history("every")).map((r) =>
        r.scheduledAt.getTime()
      ).sort();
      assert.deepEqual(times, [from, from + 1000, to]);
      // Again, and over a wider range: only the times that did not run are fired.
      assert.equal(
        await schedule.backfill("every", {
          from: new Date(from),
          to: new Date(to),
        }),
        0,
      );
      assert.equal(
        await schedule.backfill("every", {
          from: new Date(from - 1000),
          to: new Date(to),
          index: 0,
        }),
        1,
      );
      await waitFor(
        "the 4th backfilled run",
        async () => (await schedule.history("every")).length === 4,
      );
      const backfilled = ticks.ticks.filter((t) =>
        t.key === "every" && t.scheduledAt <= to
      );
      assert.equal(backfilled.length, 4, "each time once in the queue");

      // Bad input fires nothing.
      const queued = ticks.ticks.length;
      const now = Date.now();
      for (
        const [options, error] of [
          [{ from: now - 1000, to: now + 60_000 }, InvalidBackfillError],
          [{ from: now - 1000, to: now - 5000 }, InvalidBackfillError],
          [{ from: "yesterday", to: now }, InvalidBackfillError],
          [{ from: now - 40 * 86_400_000, to: now }, BackfillTooLargeError],
          [{ from: now - 3600_000, to: now - 1000 }, BackfillTooLargeError],
          [{ from: now - 3000, to: now - 1000, index: 1 }, NotFoundError],
        ] as const
      ) {
        await assert.rejects(
          schedule.backfill("every", {
            ...options,
            from: typeof options.from === "number"
              ? new Date(options.from)
              : options.from,
            to: new Date(options.to),
          }),
          error,
          JSON.stringify(options),
        );
      }
      await assert.rejects(
        schedule.trigger("every", { index: 2 }),
        NotFoundError,
      );
      await assert.rejects(schedule.trigger("missing"), NotFoundError);
      assert.equal(ticks.ticks.length, queued, "nothing was queued");
    } finally {
      await ticks.stop();
      await worker.stop();
      await workerNc.close();
    }
  }));

Deno.test("backfill refuses the times of a jittered job the node has not sent yet", () =>
  withClient(async (schedule, nc) => {
    const ticks = await followTicks(nc, "beta");
    try {
      const spec = "*/4 * * * * *";
      await schedule.set("j", HttpJob(spec, hook, { jitter: "1h" }));
      const definedAt = (await schedule.describe("j")).updated.getTime();
      // The node sends each tick after definedAt up to 4 s late (the jitter, cut to the
      // time to the next tick): a backfilled copy of one it has not sent yet could reach
      // the stream after it, past the duplicate window with a longer period.
      const names = new NamespaceNames("beta");
      const unsent = () => {
        const now = Date.now();
        const at = now - now % 4000;
        return at > definedAt &&
          sendTime(parseSpec(spec), 0, names.tickId("j", 0, at), at, 3600_000) >
            now + 300;
      };
      await waitFor("a past tick not sent yet", unsent, 20_000);
      await assert.rejects(
        schedule.backfill("j", {
          from: new Date(definedAt - 12_000),
          to: new Date(),
        }),
        (err: Error) =>
          err instanceof InvalidBackfillError &&
          /not sent .*jitter/.test(err.message),
      );
      // The times up to the definition the node never sends: fired.
      const fired = await schedule.backfill("j", {
        from: new Date(definedAt - 12_000),
        to: new Date(definedAt),
      });
      assert.ok(fired >= 3, `${fired}`);
      await waitFor(
        "the backfilled ticks",
        () => ticks.of("j").length === fired,
      );
      assert.ok(
        ticks.of("j").every((at) => at <= definedAt),
        "the refused call queued nothing",
      );
    } finally {
      await ticks.stop();
    }
  }));

Deno.test("backfill fires no tick before a job's start or after its end", () =>
  withClient(async (schedule, nc) => {
    const ticks = await followTicks(nc, "beta");
    try {
      const to = Math.floor(Date.now() / 1000) * 1000 - 5000;
      const from = to - 9000;
      const every = (policy: JobPolicy) => HttpJob("* * * * * *", hook, policy);
      await schedule.set("bounded", [
        every({ start: new Date(from + 3000), end: new Date(to - 3000) }),
        every({ start: new Date(Date.now() + 86_400_000) }),
        every({ end: new Date(from - 7_200_000) }),
      ], { paused: true });
      assert.equal(
        await schedule.backfill("bounded", {
          from: new Date(from),
          to: new Date(to),
        }),
        4,
      );
      await waitFor("the backfilled ticks", () => ticks.ticks.length === 4);
      assert.deepEqual(ticks.of("bounded", 0), [
        from + 3000,
        from + 4000,
        from + 5000,
        from + 6000,
      ]);
    } finally {
      await ticks.stop();
    }
  }));

Deno.test("backfill with the run history deleted reads it as empty and fires", () =>
  withClient(async (schedule, nc) => {
    const ticks = await followTicks(nc, "beta");
    try {
      await schedule.set("k", [HttpJob("* * * * * *", hook)], { paused: true });
      const jsm = await jetstreamManager(nc);
      await jsm.streams.delete(new NamespaceNames("beta").runStream);
      const to = Math.floor(Date.now() / 1000) * 1000 - 5000;
      assert.equal(
        await schedule.backfill("k", {
          from: new Date(to - 1000),
          to: new Date(to),
        }),
        2,
      );
      await waitFor("the backfilled ticks", () => ticks.ticks.length === 2);
    } finally {
      await ticks.stop();
    }
  }));

Deno.test("set with expectedRevision: a conflict is refused and writes nothing", () =>
  withClient(async (schedule) => {
    const job = HttpJob("@hourly", hook);
    await schedule.set("k", [job], { expectedRevision: 0 });
    const { revision } = await schedule.describe("k");
    await assert.rejects(
      schedule.set("k", [job], { expectedRevision: 0 }),
      ConflictError,
    );
    await schedule.set("k", [HttpJob("@daily", hook)], {
      expectedRevision: revision,
      by: "alice",
    });
    const stale = schedule.set("k", [HttpJob("@every 1m", hook)], {
      expectedRevision: revision,
      by: "bob",
    });
    await assert.rejects(stale, ConflictError);
    assert.equal((await schedule.get("k"))[0].spec, "@daily");
    assert.equal((await schedule.describe("k")).by, "alice");
    await assert.rejects(
      schedule.set("k", [job], { expectedRevision: -1 }),
      /expectedRevision/,
    );
  }));

Deno.test("revisions list set, pause, resume and remove, newest first, with who and notes", () =>
  withClient(async (schedule, nc) => {
    const kv = await new Kvm(nc).open(new NamespaceNames("beta").bucket);
    assert.equal((await kv.status()).history, 64);
    await schedule.set("k", [HttpJob("@hourly", hook)], { by: "alice" });
    await schedule.pause("k", { note: "vendor outage, ticket 123", by: "bob" });
    await schedule.pause("k", { note: "again" }); // already paused: nothing written
    await schedule.resume("k", { by: "carol" });
    await schedule.remove("k", { by: "dave" });
    await schedule.set("k", HttpJob("@daily", hook));
    const revisions = [];
    for await (const r of schedule.revisions("k")) revisions.push(r);
    assert.deepEqual(
      revisions.map(({ operation, by, note }) => ({ operation, by, note })),
      [
        { operation: "set", by: undefined, note: undefined },
        { operation: "remove", by: "dave", note: undefined },
        { operation: "resume", by: "carol", note: undefined },
        { operation: "pause", by: "bob", note: "vendor outage, ticket 123" },
        { operation: "set", by: "alice", note: undefined },
      ],
    );
    assert.ok(revisions[0].revision > revisions[1].revision);
    assert.ok(revisions.every((r) => r.at instanceof Date));
    assert.equal(revisions[0].definition?.jobs[0].spec, "@daily");
    assert.equal(revisions[1].definition, undefined);
    assert.equal(revisions[3].definition?.pause?.by, "bob");

    const described = await schedule.describe("k");
    assert.equal(
      described.created.getTime(),
      revisions[0].at.getTime(),
      "created since the last remove",
    );
    const missing = schedule.revisions("nope")[Symbol.asyncIterator]().next();
    await assert.rejects(missing, NotFoundError);
  }));

Deno.test("describe: pause note, times, policy, next fire times, runs and counts", () =>
  withClient(async (schedule) => {
    await schedule.set(
      "k",
      [
        HttpJob("@every 10s", hook, { overlap: "skip", maxRuns: 5 }),
        HttpJob("@daily", hook),
      ],
      { by: "alice" },
    );
    let d = await schedule.describe("k");
    assert.equal(d.key, "k");
    assert.equal(d.paused, false);
    assert.equal(d.by, "alice");
    assert.equal(d.created.getTime(), d.updated.getTime());
    assert.equal(d.jobs.length, 2);
    const [every] = d.jobs;
    assert.equal(every.index, 0);
    assert.deepEqual(every.policy, { overlap: "skip", maxRuns: 5 });
    assert.equal(every.next.length, 5, "maxRuns bounds the next fire times");
    assert.equal(every.next[1].getTime() - every.next[0].getTime(), 10_000);
    assert.deepEqual(every.recent, []);
    assert.deepEqual(every.running, []);
    assert.deepEqual(every.counts, {
      fired: 0,
      succeeded: 0,
      failed: 0,
      skipped: 0,
      remaining: 5,
    });
    assert.equal(d.jobs[1].counts.remaining, undefined);

    await schedule.trigger("k", { index: 1 });
    await schedule.pause("k", { note: "why", by: "bob" });
    d = await schedule.describe("k");
    assert.equal(d.paused, true);
    assert.equal(d.pause?.note, "why");
    assert.equal(d.pause?.by, "bob");
    assert.ok(d.updated.getTime() >= d.created.getTime());
    assert.deepEqual(d.jobs[0].next, []);
    assert.equal(d.jobs[1].counts.fired, 1, "the manual tick is counted");
    assert.equal(
      d.jobs[0].counts.remaining,
      5,
      "a manual tick is no scheduled run",
    );
    await assert.rejects(schedule.describe("nope"), NotFoundError);
  }));

Deno.test("describe: the runs left of maxRuns follow the tick rule, stand still while paused, and start again after a resume", () =>
  withClient(async (schedule) => {
    await schedule.set("few", HttpJob("@every 1s", hook, { maxRuns: 3 }));
    const remaining = async () =>
      (await schedule.describe("few")).jobs[0].counts.remaining;
    assert.equal(await remaining(), 3);
    // Two ticks given by the rule (sent or not: no node runs here, as after an outage).
    await waitFor("two ticks given", async () => await remaining() === 1);
    await schedule.pause("few");
    // Paused, no tick is given: it stays at what a resume starts from.
    const pausedAt = Date.now();
    await waitFor("two ticks' time", () => Date.now() > pausedAt + 2100);
    assert.equal(await remaining(), 3, "paused: no tick counted");
    await schedule.resume("few");
    assert.equal(await remaining(), 3, "the resume starts the count again");
  }));

Deno.test("events: a follower receives what clients do, with who did it", () =>
  withClient(async (schedule) => {
    const stop = new AbortController();
    const events: ScheduleEvent[] = [];
    const following = (async () => {
      for await (const e of schedule.events({ signal: stop.signal })) {
        events.push(e);
      }
    })();
    // The subscription is made at the first next(): wait until an event gets through.
    await waitFor("the follower", async () => {
      await schedule.set("k", [HttpJob("@hourly", hook)], { by: "alice" });
      return events.length > 0;
    });
    await schedule.pause("k", { note: "n", by: "bob" });
    await schedule.resume("k", { by: "bob" });
    await schedule.trigger("k", { by: "carol" });
    await schedule.remove("k", { by: "dave" });
    await waitFor("the removal", () => events.at(-1)?.type === "removed");
    const after = events.slice(
      events.findLastIndex((e) => e.type === "changed"),
    );
    assert.equal(after.shift()?.by, "alice");
    assert.deepEqual(
      after.map(({ type, key, by, detail }) => ({ type, key, by, detail })),
      [
        { type: "paused", key: "k", by: "bob", detail: "n" },
        { type: "resumed", key: "k", by: "bob", detail: undefined },
        { type: "triggered", key: "k", by: "carol", detail: undefined },
        { type: "removed", key: "k", by: "dave", detail: undefined },
      ],
    );
    assert.ok(after[2].scheduledAt instanceof Date);
    stop.abort();
    await following;
  }));

Deno.test("events: a signal aborted already ends the iteration at once", () =>
  withClient(async (schedule) => {
    const stop = new AbortController();
    stop.abort();
    const events: ScheduleEvent[] = [];
    for await (const e of schedule.events({ signal: stop.signal })) {
      events.push(e);
    }
    assert.deepEqual(events, []);
  }));
