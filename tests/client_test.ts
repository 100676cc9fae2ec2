import assert from "node:assert/strict";
import { jetstream } from "@nats-io/jetstream";
import { HttpJob, type Job, type PauseNote, Schedule } from "../mod.ts";
import {
  CodecError,
  ConfigError,
  InvalidBackfillError,
  InvalidJobError,
  InvalidKeyError,
  InvalidNamespaceError,
  InvalidSpecError,
  InvalidTimeZoneError,
  NotFoundError,
  PayloadTooLargeError,
} from "../lib/errors.ts";
import { NatsServer } from "./nats_server.ts";
import { NamespaceNames } from "../lib/nats/names.ts";
import { encodeRunRecord, encodeTick } from "../lib/wire/mod.ts";
import { recordingLogger } from "./helpers.ts";
import { Worker } from "../lib/worker/worker.ts";

const hook = { url: "https://api.example.com/hook" };

async function withClient(
  fn: (schedule: Schedule, server: NatsServer) => Promise<void>,
) {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  try {
    await fn(await Schedule.create("beta", nc), server);
  } finally {
    await nc.close();
  }
}

Deno.test("set, list, get, remove", () =>
  withClient(async (schedule) => {
    assert.deepEqual(await schedule.list(), []);
    const before = Date.now();
    await schedule.set(
      "test",
      HttpJob("@every 15s", {
        ...hook,
        method: "POST",
        headers: { "x-token": "abc" },
      }),
      HttpJob("0 30 9 * * MON-FRI", hook, "Europe/Paris"),
    );
    await schedule.set("a.b", HttpJob("@hourly", hook));
    assert.deepEqual(await schedule.list(), ["a.b", "test"]);

    const [every, cron] = await schedule.get("test");
    assert.equal(every.mode, "HTTP");
    assert.equal(every.spec, "@every 15s");
    assert.deepEqual(every.option, {
      ...hook,
      method: "POST",
      headers: { "x-token": "abc" },
    });
    const next = every.state.next!.getTime();
    assert.ok(next % 1000 === 0, "@every ticks fall on whole seconds");
    assert.ok(
      next > before && next <= Math.floor(before / 1000) * 1000 + 15_000 + 1000,
    );
    assert.equal(every.state.prev, null);
    assert.equal(cron.tz, "Europe/Paris");
    assert.ok(cron.state.next! > new Date());

    await schedule.remove("test");
    assert.deepEqual(await schedule.list(), ["a.b"]);
    await assert.rejects(schedule.get("test"), NotFoundError);
    await assert.rejects(schedule.remove("test"), NotFoundError);
  }));

Deno.test("set replaces the whole definition", () =>
  withClient(async (schedule) => {
    await schedule.set("k", HttpJob("@hourly", hook), HttpJob("@daily", hook));
    await schedule.set("k", HttpJob("@every 1m", hook));
    assert.deepEqual((await schedule.get("k")).map((job) => job.spec), [
      "@every 1m",
    ]);
  }));

Deno.test("pause and resume", () =>
  withClient(async (schedule) => {
    await schedule.set("k", HttpJob("@every 10s", hook));
    await schedule.pause("k");
    assert.equal((await schedule.get("k"))[0].state.next, null);
    await schedule.pause("k");
    await schedule.resume("k");
    assert.ok((await schedule.get("k"))[0].state.next instanceof Date);
    await assert.rejects(schedule.pause("missing"), NotFoundError);
  }));

Deno.test("bad input is rejected with a typed error and writes nothing", () =>
  withClient(async (schedule) => {
    const cases: [
      () => Promise<unknown>,
      ErrorConstructor | typeof InvalidKeyError,
    ][] = [
      [() => schedule.set(".bad", HttpJob("@hourly", hook)), InvalidKeyError],
      [() => schedule.set("a b", HttpJob("@hourly", hook)), InvalidKeyError],
      [() => schedule.set("a..b", HttpJob("@hourly", hook)), InvalidKeyError],
      [
        () => schedule.set("k", { mode: "HTTP", spec: "nope", option: hook }),
        InvalidSpecError,
      ],
      [
        () =>
          schedule.set("k", {
            mode: "HTTP",
            spec: "0 0 0 30 2 *",
            option: hook,
          }),
        InvalidSpecError,
      ],
      [
        () =>
          schedule.set("k", {
            mode: "HTTP",
            spec: "@hourly",
            tz: "X/Y",
            option: hook,
          }),
        InvalidTimeZoneError,
      ],
      [
        () =>
          schedule.set("k", {
            mode: "HTTP",
            spec: "@hourly",
            option: { url: "nope" },
          }),
        InvalidJobError,
      ],
      [
        () =>
          schedule.set("k", {
            mode: "HTTP",
            spec: "@hourly",
            option: { ...hook, method: "GOT" },
          }),
        InvalidJobError,
      ],
      [() => schedule.set("k"), InvalidJobError],
      [
        () =>
          schedule.set(
            "k",
            HttpJob("@hourly", { ...hook, body: "x".repeat(1024 * 1024) }),
          ),
        PayloadTooLargeError,
      ],
      [() => schedule.get("a b"), InvalidKeyError],
      [
        () =>
          schedule.set("k", {
            ...HttpJob("@hourly", hook),
            timezone: "Europe/Paris",
          } as Job),
        InvalidJobError,
      ],
      [
        () =>
          schedule.set("k", {
            ...HttpJob("@hourly", hook),
            polcy: { overlap: "skip" },
          } as Job),
        InvalidJobError,
      ],
      [
        () =>
          schedule.set("k", [HttpJob("@hourly", hook)], {
            paused: "yes" as unknown as boolean,
          }),
        InvalidJobError,
      ],
      [
        () =>
          schedule.set("k", [HttpJob("@hourly", hook)], {
            pause: { at: new Date(0).toISOString(), note: "not paused" },
          }),
        InvalidJobError,
      ],
      [
        () =>
          schedule.set("k", [HttpJob("@hourly", hook)], {
            paused: true,
            pause: { note: "no time" } as unknown as PauseNote,
          }),
        InvalidJobError,
      ],
    ];
    for (const [call, type] of cases) await assert.rejects(call(), type);
    assert.deepEqual(await schedule.list(), []);
  }));

Deno.test("a body JSON cannot hold is refused with a CodecError and writes nothing", () =>
  withClient(async (schedule) => {
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    for (const body of [{ n: 10n }, circular]) {
      await assert.rejects(
        schedule.set("k", HttpJob("@hourly", { ...hook, body })),
        (err: Error) => err instanceof CodecError && /JSON/.test(err.message),
      );
    }
    assert.deepEqual(await schedule.list(), []);
  }));

/** The number of writes the bucket keeps of `key`. */
async function writesOf(schedule: Schedule, key: string): Promise<number> {
  let count = 0;
  for await (const _ of schedule.revisions(key)) count++;
  return count;
}

Deno.test("pause and resume refuse a definition larger than the server accepts", () =>
  withClient(async (schedule) => {
    await schedule.set("k", HttpJob("@hourly", hook));
    const huge = "x".repeat(2 * 1024 * 1024);
    await assert.rejects(
      schedule.pause("k", { note: huge }),
      PayloadTooLargeError,
    );
    assert.equal(await writesOf(schedule, "k"), 1, "nothing was written");
    await schedule.pause("k");
    await assert.rejects(
      schedule.resume("k", { by: huge }),
      PayloadTooLargeError,
    );
    assert.equal((await schedule.describe("k")).paused, true);
  }));

Deno.test("set refuses a job whose tick fits only without what the node and a backfill add to it", () =>
  withClient(async (schedule, server) => {
    const nc = await server.connect();
    const max = nc.info!.max_payload;
    await nc.close();
    const job = (size: number) =>
      HttpJob("@hourly", { ...hook, body: "x".repeat(size) });
    // The tick of the job alone, as set measured it: the job, its key and its time.
    const bare = (size: number) =>
      encodeTick({
        ...job(size),
        namespace: "beta",
        key: "k",
        index: 0,
        scheduledAt: new Date(),
      }).length;
    const edge = max - 8 - (bare(1) - 1);
    assert.equal(bare(edge), max - 8);
    await assert.rejects(schedule.set("k", job(edge)), PayloadTooLargeError);
    await schedule.set("k", [job(edge - 200)], { paused: true });
    const to = Math.floor(Date.now() / 1000 / 3600) * 3600_000;
    assert.equal(
      await schedule.backfill("k", { from: new Date(to), to: new Date(to) }),
      1,
      "and its backfilled tick is stored",
    );
  }));

Deno.test("every call refuses a by with control characters and changes nothing", () =>
  withClient(async (schedule) => {
    await schedule.set("k", HttpJob("@hourly", hook));
    for (
      const by of ["a\nb", "alice\r\nKV-Operation: PURGE", "a\u0000", "\t"]
    ) {
      for (
        const call of [
          () => schedule.set("k", [HttpJob("@hourly", hook)], { by }),
          () => schedule.remove("k", { by }),
          () => schedule.pause("k", { by }),
          () => schedule.resume("k", { by }),
          () => schedule.trigger("k", { by }),
          () =>
            schedule.backfill("k", {
              from: new Date(Date.now() - 60_000),
              to: new Date(),
              by,
            }),
          // The pause note's own `by`, given to set.
          () =>
            schedule.set("k", [HttpJob("@hourly", hook)], {
              paused: true,
              pause: { at: new Date().toISOString(), by },
            }),
        ]
      ) await assert.rejects(call(), InvalidJobError, JSON.stringify(by));
    }
    // Options that are no object: the call's typed error, not a TypeError.
    const none = null as never;
    for (
      const [call, error] of [
        [
          () => schedule.set("k", [HttpJob("@hourly", hook)], none),
          InvalidJobError,
        ],
        [() => schedule.remove("k", none), InvalidJobError],
        [() => schedule.pause("k", none), InvalidJobError],
        [() => schedule.resume("k", none), InvalidJobError],
        [() => schedule.trigger("k", none), InvalidBackfillError],
        [() => schedule.history("k", none), ConfigError],
      ] as const
    ) await assert.rejects(call(), error, call.toString());
    assert.equal(await writesOf(schedule, "k"), 1, "nothing was written");
    await schedule.remove("k", { by: "é-ünïcode" });
  }));

Deno.test("history refuses a limit that is not a whole number from 0", () =>
  withClient(async (schedule) => {
    for (const limit of [-1, 1.5, NaN, Infinity, "5" as unknown as number]) {
      await assert.rejects(
        schedule.history("k", { limit }),
        (err: Error) =>
          err instanceof ConfigError &&
          /limit must be a whole number/.test(err.message),
        String(limit),
      );
    }
    assert.deepEqual(await schedule.history("k", { limit: 0 }), []);
  }));

Deno.test("backfill without a range is refused with InvalidBackfillError", () =>
  withClient(async (schedule) => {
    await schedule.set("k", HttpJob("@hourly", hook));
    const backfill = schedule.backfill.bind(schedule) as (
      key: string,
      options?: unknown,
    ) => Promise<number>;
    await assert.rejects(backfill("k"), InvalidBackfillError);
    await assert.rejects(backfill("k", null), InvalidBackfillError);
  }));

Deno.test("set refuses a mode no worker handles, until a worker registers it", () =>
  withClient(async (schedule, server) => {
    const job = (mode: string) => ({ mode, spec: "@hourly", option: null });
    await assert.rejects(
      schedule.set("k", HttpJob("@hourly", hook), job("http")),
      (err: Error) =>
        err instanceof InvalidJobError &&
        err.message ===
          'job 1: no worker of namespace beta handles mode "http" (modes are case-sensitive: did you mean "HTTP"?): ' +
            'use "HTTP", or register a handler first with worker.handle("http", handler)',
    );
    await assert.rejects(
      schedule.set("k", job("SHELL")),
      (err: Error) =>
        err instanceof InvalidJobError &&
        /no worker of namespace beta handles mode "SHELL": .*worker\.handle\("SHELL", handler\)$/
          .test(err.message),
    );
    await assert.rejects(schedule.set("k", job("a b")), InvalidJobError);
    assert.deepEqual(await schedule.list(), []);

    const nc = await server.connect();
    const worker = await Worker.start(nc, {
      namespace: "beta",
      name: "w1",
      logger: recordingLogger(),
    });
    await assert.rejects(
      worker.handle("a b", () => Promise.resolve()),
      InvalidJobError,
    );
    await worker.handle("SHELL", () => Promise.resolve());
    await schedule.set("k", job("SHELL"), HttpJob("@hourly", hook));
    assert.deepEqual((await schedule.get("k")).map((j) => j.mode), [
      "SHELL",
      "HTTP",
    ]);
    await worker.stop();
    await nc.close();
  }));

Deno.test("namespaces do not see each other's keys", () =>
  withClient(async (beta, server) => {
    const nc = await server.connect();
    const gamma = await Schedule.create("gamma", nc);
    await beta.set("only-beta", HttpJob("@hourly", hook));
    await gamma.set("only-gamma", HttpJob("@hourly", hook));
    assert.deepEqual(await beta.list(), ["only-beta"]);
    assert.deepEqual(await gamma.list(), ["only-gamma"]);
    await assert.rejects(gamma.get("only-beta"), NotFoundError);
    await assert.rejects(Schedule.create("bad ns", nc), InvalidNamespaceError);
    await nc.close();
  }));

Deno.test("a second client on an existing namespace binds to it", () =>
  withClient(async (schedule, server) => {
    await schedule.set("k", HttpJob("@hourly", hook));
    const nc = await server.connect();
    const again = await Schedule.create("beta", nc);
    assert.deepEqual(await again.list(), ["k"]);
    await nc.close();
  }));

Deno.test("create refuses bad options with a ConfigError before creating anything", async () => {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  try {
    const jsm = await jetstream(nc).jetstreamManager();
    for (
      const options of [
        { maxAge: 60_000 }, // shorter than the duplicate window
        { maxAge: 300_000, duplicateWindow: 600_000 },
        { duplicateWindow: 48 * 3600_000 }, // over the default maxAge, 24 h
        { maxAge: -1 },
        { maxAge: NaN },
        { duplicateWindow: -5 },
        { historyPerJob: 1.5 },
        { historyPerJob: -5 },
        { historyPerJob: 0 },
        { historyMaxAge: 0 },
        { replicas: 0 },
        { replicas: 6 },
        { replicas: "3" as unknown as number },
        { catchup: -1 },
        { ackWait: 0 },
      ]
    ) {
      await assert.rejects(
        Schedule.create("beta", nc, options),
        ConfigError,
        JSON.stringify(options),
      );
    }
    const streams = [];
    for await (const name of jsm.streams.names()) streams.push(name);
    assert.deepEqual(streams, [], "nothing was created");
    // At the bounds: accepted.
    await Schedule.create("beta", nc, {
      maxAge: 120_000,
      historyPerJob: 1,
      replicas: 1,
    });
  } finally {
    await nc.close();
  }
});

Deno.test("the namespace's streams are created as the README says", () =>
  withClient(async (_, server) => {
    const nc = await server.connect();
    const jsm = await jetstream(nc).jetstreamManager();
    const jobs = (await jsm.streams.info("schedule-beta-jobs")).config;
    assert.deepEqual(
      [
        jobs.subjects,
        jobs.storage,
        jobs.retention,
        jobs.duplicate_window,
        jobs.max_age,
      ],
      [["schedule.beta.jobs.>"], "file", "limits", 120e9, 24 * 3600e9],
    );
    const runs = (await jsm.streams.info("schedule-beta-runs")).config;
    assert.deepEqual(
      [runs.subjects, runs.storage, runs.max_msgs_per_subject, runs.max_age],
      [["schedule.beta.runs.>"], "file", 100, 7 * 24 * 3600e9],
    );
    assert.equal(
      (await jsm.streams.info("KV_schedule-beta")).config.storage,
      "file",
    );
    await nc.close();
  }));

Deno.test("reads show what is there: past foreign data on a subject, and with a stream deleted", () =>
  withClient(async (schedule, server) => {
    const nc = await server.connect();
    const js = jetstream(nc);
    const names = new NamespaceNames("beta");
    await schedule.set("k", HttpJob("@hourly", hook));
    const { revision } = await schedule.describe("k");
    const scheduledAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const job = HttpJob("@hourly", hook);
    await js.publish(
      names.jobSubject("k", 0),
      encodeTick({
        ...job,
        namespace: "beta",
        key: "k",
        index: 0,
        scheduledAt,
        revision,
      }),
    );
    await js.publish(
      names.runSubject("k", 0),
      encodeRunRecord({
        key: "k",
        index: 0,
        scheduledAt,
        attempt: 1,
        startedAt: scheduledAt,
        durationMs: 5,
        outcome: "success",
        worker: "w",
        revision,
      }),
    );
    // Someone else writes on both subjects after them.
    for (
      const subject of [names.jobSubject("k", 0), names.runSubject("k", 0)]
    ) {
      await js.publish(subject, new TextEncoder().encode("not ours"));
    }
    const [{ state }] = await schedule.get("k");
    assert.equal(state.prev?.getTime(), scheduledAt.getTime());
    assert.equal(state.lastRun?.outcome, "success");

    // The run history and the job stream deleted under the client: nothing to show.
    const jsm = await js.jetstreamManager();
    await jsm.streams.delete(names.runStream);
    await jsm.streams.delete(names.jobStream);
    const [after] = await schedule.get("k");
    assert.deepEqual([after.state.prev, after.state.lastRun], [null, null]);
    assert.deepEqual(await schedule.history("k"), []);
    assert.equal((await schedule.describe("k")).jobs[0].counts.fired, 0);
    await nc.close();
  }));
