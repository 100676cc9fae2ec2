import assert from "node:assert/strict";
import type { KV } from "@nats-io/kv";
import { jetstream } from "@nats-io/jetstream";
import { HttpJob } from "../mod.ts";
import { Node } from "../lib/node/node.ts";
import { followEvents } from "../lib/nats/events.ts";
import { readDefinitionEntry } from "../lib/nats/definitions.ts";
import { Namespace } from "../lib/nats/namespace.ts";
import { decodeDefinition } from "../lib/wire/mod.ts";
import type { Job, JobPolicy, ScheduleEvent } from "../lib/types.ts";
import { RUN_HEADERS } from "../lib/worker/mod.ts";
import { decodeRunState } from "../lib/worker/run_state.ts";
import { followTicks, recordingLogger, waitFor } from "./helpers.ts";
import { hookServer, names, withWorkers } from "./_workers.ts";

/** A receiver whose calls each wait for `hold` (or for the test's end); tracks overlap. */
function slowHook(hold: () => Promise<void>) {
  let active = 0;
  const state = { maxActive: 0 };
  const end = new AbortController();
  const hook = hookServer(async (request) => {
    active++;
    state.maxActive = Math.max(state.maxActive, active);
    try {
      const ended = (signal: AbortSignal) =>
        new Promise((resolve) =>
          signal.addEventListener("abort", resolve, { once: true })
        );
      await Promise.race([hold(), ended(end.signal), ended(request.signal)]);
    } finally {
      active--;
    }
    return new Response("ok");
  });
  return {
    ...hook,
    state,
    active: () => active,
    /** Scheduled times of the calls, in arrival order. */
    calls: () =>
      hook.received.map((r) => r.headers.get(RUN_HEADERS.scheduledAt)!),
    /** Ends every call held. */
    release: () => end.abort(),
    async close() {
      end.abort();
      await hook.close();
    },
  };
}

/** Waits until the tick at `scheduledAt` waits as the pending one of job `stateKey`. */
function pendingIs(kv: KV, stateKey: string, scheduledAt: Date) {
  return waitFor(
    `the tick of ${scheduledAt.toISOString()} pending`,
    async () => {
      const entry = await kv.get(stateKey);
      return entry !== null &&
        decodeRunState(entry.value).pending?.scheduledAt ===
          scheduledAt.toISOString();
    },
  );
}

const governed = (url: string, policy: JobPolicy, spec = "@hourly"): Job =>
  HttpJob(spec, { url }, { ...policy });

const at = (second: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, second));

async function collect(nc: Parameters<typeof followEvents>[0]) {
  const stop = new AbortController();
  const events: ScheduleEvent[] = [];
  const done = (async () => {
    for await (const event of followEvents(nc, names, stop.signal)) {
      events.push(event);
    }
  })();
  await nc.flush();
  return {
    events,
    of: (type: string) => events.filter((e) => e.type === type),
    async stop() {
      stop.abort();
      await done;
    },
  };
}

Deno.test("overlap skip across two workers: never two calls at once, every skipped tick recorded, counted, logged and announced", async () => {
  const hook = slowHook(() => new Promise((r) => setTimeout(r, 2500)));
  await withWorkers(async ({ server, nc, schedule, startWorker }) => {
    const events = await collect(nc);
    const a = await startWorker();
    const b = await startWorker();
    const nodeNc = await server.connect();
    const node = await Node.start(nodeNc, {
      namespace: "beta",
      logger: recordingLogger(),
    });
    await node.ready;
    const ticks = await followTicks(nc, "beta");
    await schedule.set(
      "slow",
      governed(hook.url, { overlap: "skip" }, "@every 1s"),
    );
    const skipped = () => a.worker.metrics.skipped + b.worker.metrics.skipped;
    await waitFor(
      "three calls and three skipped ticks",
      () => hook.received.length >= 3 && skipped() >= 3,
      20_000,
    );
    await node.stop();
    await nodeNc.close();
    await waitFor("every queued tick settled", async () => {
      const runs = await schedule.history("slow", { limit: 100 });
      const settled = new Set(
        runs.filter((r) => r.outcome !== "retry").map((r) =>
          r.scheduledAt.getTime()
        ),
      );
      return ticks.of("slow").every((t) => settled.has(t));
    }, 15_000);
    await ticks.stop();
    assert.equal(hook.state.maxActive, 1, "never two calls at once");
    const runs = await schedule.history("slow", { limit: 100 });
    const byTick = new Map<number, string[]>();
    for (const run of runs) {
      const t = run.scheduledAt.getTime();
      byTick.set(t, [...byTick.get(t) ?? [], run.outcome]);
    }
    for (const t of ticks.of("slow")) {
      assert.equal(byTick.get(t)?.length, 1, `one record of tick ${t}`);
    }
    const skips = runs.filter((r) => r.outcome === "skipped");
    assert.equal(skips.length, skipped());
    for (const run of skips) {
      assert.match(run.error!, /^tick \S+ is running on worker \S+$/);
    }
    assert.equal(
      runs.filter((r) => r.outcome === "success").length,
      hook.received.length,
    );
    const logged = [...a.log.lines, ...b.log.lines].filter((l) =>
      l.msg === "tick skipped; not run"
    );
    assert.equal(logged.length, skips.length);
    await waitFor(
      "the skipped events",
      () => events.of("skipped").length === skips.length,
    );
    assert.match(events.of("skipped")[0].detail!, /is running on worker/);
    await events.stop();
  });
  await hook.close();
});

Deno.test("overlap buffer: one tick waits and runs when the running one ends; a further one is skipped", async () => {
  const gates: PromiseWithResolvers<void>[] = [];
  const hook = slowHook(() => {
    const gate = Promise.withResolvers<void>();
    gates.push(gate);
    return gate.promise;
  });
  await withWorkers(async ({ nc, schedule, startWorker, enqueue }) => {
    await startWorker();
    await startWorker();
    const job = governed(hook.url, { overlap: "buffer" });
    await enqueue("buf", job, at(0));
    await waitFor("the first call", () => hook.active() === 1);
    await enqueue("buf", job, at(1));
    const kv = await (await Namespace.open(nc, "beta")).runState();
    await pendingIs(kv, "buf.0", at(1));
    await enqueue("buf", job, at(2));
    await waitFor(
      "the third tick skipped",
      async () =>
        (await schedule.history("buf")).some((r) => r.outcome === "skipped"),
    );
    assert.deepEqual(hook.calls(), [at(0).toISOString()]);
    gates[0].resolve();
    await waitFor("the buffered call", () => hook.received.length === 2);
    assert.deepEqual(hook.calls(), [at(0).toISOString(), at(1).toISOString()]);
    gates[1].resolve();
    await waitFor(
      "two successes",
      async () =>
        (await schedule.history("buf")).filter((r) => r.outcome === "success")
          .length === 2,
    );
    const runs = await schedule.history("buf");
    const skipped = runs.find((r) => r.outcome === "skipped")!;
    assert.equal(skipped.scheduledAt.getTime(), at(2).getTime());
    assert.match(skipped.error!, /is already waiting on worker/);
    assert.equal(hook.state.maxActive, 1);
  });
  await hook.close();
});

Deno.test("overlap buffer: a tick that waited while its definition was removed does not run, recorded superseded", async () => {
  const gate = Promise.withResolvers<void>();
  const hook = slowHook(() => gate.promise);
  await withWorkers(
    async ({ nc, schedule, startWorker, enqueue, revisionOf }) => {
      await startWorker();
      const job = governed(hook.url, { overlap: "buffer" });
      await schedule.set("buf", job);
      const revision = await revisionOf("buf");
      await enqueue("buf", job, at(0), revision);
      await waitFor("the first call", () => hook.active() === 1);
      await enqueue("buf", job, at(1), revision);
      const kv = await (await Namespace.open(nc, "beta")).runState();
      await pendingIs(kv, "buf.0", at(1));
      await schedule.remove("buf");
      gate.resolve();
      await waitFor(
        "two records",
        async () => (await schedule.history("buf")).length === 2,
      );
      const [waited] = await schedule.history("buf");
      assert.deepEqual(
        [waited.scheduledAt.getTime(), waited.outcome, waited.error],
        [
          at(1).getTime(),
          "superseded",
          `definition removed since revision ${revision}`,
        ],
      );
      assert.deepEqual(hook.calls(), [at(0).toISOString()]);
      await waitFor("the lock released", async () => {
        const entry = await kv.get("buf.0");
        const state = entry === null ? {} : decodeRunState(entry.value);
        return state.running === undefined && state.pending === undefined;
      });
    },
  );
  await hook.close();
});

Deno.test("overlap cancel: the running call is aborted, recorded cancelled, and the new tick runs", async () => {
  const hook = slowHook(() => new Promise(() => {}));
  await withWorkers(async ({ schedule, startWorker, enqueue }) => {
    const a = await startWorker();
    const b = await startWorker();
    const job = governed(hook.url, { overlap: "cancel" });
    await enqueue("cx", job, at(0));
    await waitFor("the first call", () => hook.active() === 1);
    await enqueue("cx", job, at(1));
    await waitFor("the second call", () => hook.received.length === 2);
    await waitFor(
      "the first aborted by its caller",
      () => hook.received[0].signal.aborted,
    );
    const runs = await schedule.history("cx");
    const first = runs.find((r) =>
      r.scheduledAt.getTime() === at(0).getTime()
    )!;
    assert.equal(first.outcome, "cancelled");
    assert.match(first.error!, /cancelled for a newer tick by worker \S+/);
    assert.equal(a.worker.metrics.cancelled + b.worker.metrics.cancelled, 1);
    assert.equal(
      hook.state.maxActive,
      1,
      "the old call ended before the new one",
    );
    hook.release();
  });
  await hook.close();
});

Deno.test("overlap cancel: a run whose watch lost its consumer is cancelled at its next heartbeat", async () => {
  const hook = slowHook(() => new Promise(() => {}));
  await withWorkers(async ({ nc, startWorker, enqueue }) => {
    await startWorker(); // ack wait 2 s: a heartbeat every 667 ms
    const job = governed(hook.url, { overlap: "cancel" });
    await enqueue("cw", job, at(0));
    await waitFor("the first call", () => hook.active() === 1);
    const stream = `KV_${names.runStateBucket}`;
    const jsm = await jetstream(nc).jetstreamManager();
    for await (const { name } of jsm.consumers.list(stream)) {
      await jsm.consumers.delete(stream, name);
    }
    await enqueue("cw", job, at(1));
    // The KV watch alone noticed its consumer gone after about a minute.
    await waitFor(
      "the first aborted by its caller",
      () => hook.received[0].signal.aborted,
    );
    await waitFor("the second call", () => hook.received.length === 2);
    hook.release();
  });
  await hook.close();
});

Deno.test("a worker killed mid-run does not hold its job beyond the ack wait", async () => {
  const hook = slowHook(() => new Promise(() => {}));
  const ackWait = 1500;
  await withWorkers(async ({ schedule, startWorker, enqueue }) => {
    const dying = await startWorker({ ackWait });
    const job = governed(hook.url, { overlap: "skip" });
    await enqueue("dead", job, at(0));
    await waitFor("the first call", () => hook.active() === 1);
    await dying.nc.close(); // no ack, no heartbeat, no release
    const killedAt = Date.now();
    const survivor = await startWorker({ ackWait });
    await enqueue("dead", job, at(1));
    await waitFor(
      "the tick during the dead run skipped",
      () => survivor.worker.metrics.skipped === 1,
    );
    await waitFor(
      "a run after the lock went stale",
      () => hook.received.length === 2,
      10_000,
    );
    const waited = hook.received[1].at - killedAt;
    assert.ok(waited <= ackWait + 1500, `blocked ${waited} ms`);
    const runs = await schedule.history("dead");
    assert.ok(
      runs.some((r) => r.outcome === "skipped" && /worker/.test(r.error!)),
    );
    hook.release();
  });
  await hook.close();
});

Deno.test("pauseAfterFailures: the key is paused with a note after N failed ticks, announced; no tick runs after", async () => {
  const hook = hookServer(() => new Response("down", { status: 500 }));
  await withWorkers(async ({ server, nc, schedule, startWorker }) => {
    const events = await collect(nc);
    const { worker } = await startWorker();
    const nodeNc = await server.connect();
    const node = await Node.start(nodeNc, {
      namespace: "beta",
      logger: recordingLogger(),
    });
    await node.ready;
    await schedule.set(
      "flaky",
      governed(hook.url, {
        pauseAfterFailures: 2,
        retry: { maxAttempts: 1 },
      }, "@every 1s"),
    );
    const namespace = await Namespace.open(nc, "beta");
    const definition = async () =>
      decodeDefinition((await readDefinitionEntry(namespace, "flaky")).value)
        .definition;
    await waitFor("the key paused", async () => (await definition()).paused);
    const calls = hook.received.length;
    const paused = await definition();
    assert.equal(
      paused.pause?.note,
      "paused after 2 consecutive failed ticks (last: HTTP 500)",
    );
    assert.equal(paused.pause?.by, `worker ${worker.name}`);
    assert.equal(paused.by, `worker ${worker.name}`);
    const [info] = await schedule.get("flaky");
    assert.equal(info.state.next, null, "a paused key does not fire");
    await waitFor(
      "the paused and failed events",
      () => events.of("paused").length === 1 && events.of("failed").length >= 2,
    );
    assert.equal(events.of("paused")[0].detail, paused.pause?.note);
    assert.equal(events.of("failed")[0].detail, "HTTP 500");
    // Absence takes time to show: two tick periods pass with at most the tick in flight.
    const until = Date.now() + 2500;
    await waitFor("two tick periods", () => Date.now() > until);
    assert.ok(hook.received.length <= calls + 1, "no more ticks run");
    const runs = await schedule.history("flaky");
    assert.ok(runs.every((r) => r.outcome === "failed" && r.attempt === 1));
    await node.stop();
    await nodeNc.close();
    await events.stop();
  });
  await hook.close();
});

Deno.test("pauseAfterFailures: a failure of a tick of a definition replaced since does not pause the new one", async () => {
  await withWorkers(
    async ({ nc, schedule, startWorker, enqueue, revisionOf }) => {
      const { worker } = await startWorker();
      const called = Promise.withResolvers<void>();
      const release = Promise.withResolvers<void>();
      await worker.handle("ctl", async () => {
        called.resolve();
        await release.promise;
        return { outcome: "failed", error: "old endpoint gone" };
      });
      const job = (version: number): Job => ({
        mode: "ctl",
        spec: "@yearly",
        option: { version },
        policy: { pauseAfterFailures: 1 },
      });
      await schedule.set("fixed", job(1));
      await enqueue("fixed", job(1), at(0), await revisionOf("fixed"));
      await called.promise;
      await schedule.set("fixed", job(2)); // the fix, while the old tick runs
      release.resolve();
      await waitFor(
        "the failure recorded",
        async () => (await schedule.history("fixed")).length === 1,
      );
      // The queue is answered last, after the run state and any pause.
      const jsm = await jetstream(nc).jetstreamManager();
      await waitFor("the tick answered", async () => {
        const info = await jsm.consumers.info(
          names.jobStream,
          names.workerConsumer,
        );
        return info.num_ack_pending === 0 && info.num_pending === 0;
      });
      const described = await schedule.describe("fixed");
      assert.equal(described.paused, false, described.pause?.note);
    },
  );
});

Deno.test("a manual tick is recorded and sent as such", async () => {
  const hook = hookServer(() => new Response("ok"));
  await withWorkers(async ({ schedule, startWorker, enqueue }) => {
    await startWorker();
    await enqueue(
      "man",
      { ...HttpJob("@hourly", { url: hook.url }), trigger: "manual" } as Job,
    );
    await waitFor(
      "the run",
      async () => (await schedule.history("man")).length === 1,
    );
    assert.equal((await schedule.history("man"))[0].trigger, "manual");
    assert.equal(hook.received[0].headers.get(RUN_HEADERS.trigger), "manual");
  });
  await hook.close();
});

Deno.test("a handler rejecting with a non-Error: each attempt recorded with what it rejected, its job's lock released", () =>
  withWorkers(async ({ schedule, startWorker, enqueue }) => {
    const { worker } = await startWorker();
    const calls: string[] = [];
    await worker.handle("odd", (tick) => {
      calls.push(tick.scheduledAt.toISOString());
      return Promise.reject();
    });
    const job: Job = {
      mode: "odd",
      spec: "@hourly",
      option: {},
      policy: { overlap: "skip" },
    };
    await enqueue("odd", job, at(0));
    await waitFor(
      "its three attempts recorded",
      async () => (await schedule.history("odd")).length === 3,
    );
    const runs = await schedule.history("odd");
    assert.deepEqual(runs.map((r) => [r.attempt, r.outcome, r.error]), [
      [3, "failed", "threw undefined"],
      [2, "retry", "threw undefined"],
      [1, "retry", "threw undefined"],
    ]);
    await enqueue("odd", job, at(1));
    await waitFor(
      "the next tick run, not skipped",
      () => calls.includes(at(1).toISOString()),
    );
    assert.equal(worker.metrics.skipped, 0);
    assert.equal(worker.metrics.errors, 0);
  }));

Deno.test("an onRun that throws is logged; the run ends all the same: its job's lock released, the queue answered", () =>
  withWorkers(async ({ nc, startWorker, enqueue }) => {
    const { worker, log } = await startWorker({
      onRun: () => {
        throw new Error("listener broke");
      },
    });
    const calls: string[] = [];
    await worker.handle("listened", (tick) => {
      calls.push(tick.scheduledAt.toISOString());
      return Promise.resolve();
    });
    const job: Job = {
      mode: "listened",
      spec: "@hourly",
      option: {},
      policy: { overlap: "skip" },
    };
    await enqueue("listened", job, at(0));
    await waitFor("the first run", () => worker.metrics.success === 1);
    await enqueue("listened", job, at(1));
    await waitFor(
      "the next tick run, not skipped",
      () => calls.includes(at(1).toISOString()),
    );
    assert.equal(worker.metrics.skipped, 0);
    const jsm = await jetstream(nc).jetstreamManager();
    await waitFor("both ticks answered", async () => {
      const info = await jsm.consumers.info(
        names.jobStream,
        names.workerConsumer,
      );
      return info.num_ack_pending === 0 && info.num_pending === 0;
    });
    const failed = log.lines.filter((l) =>
      l.msg === "onRun failed; the run ends all the same"
    );
    assert.equal(failed.length, 2);
    assert.equal(failed[0].error, "listener broke");
    assert.equal(worker.metrics.errors, 0);
  }));

Deno.test("an execution that throws once its tick took the lock stops keeping the lock alive", () =>
  withWorkers(async ({ nc, schedule, startWorker, enqueue }) => {
    const ackWait = 1000;
    const { worker, log } = await startWorker({ ackWait, maxAttempts: 1 });
    const calls: string[] = [];
    await worker.handle("poisoned", (tick) => {
      calls.push(tick.scheduledAt.toISOString());
      if (tick.scheduledAt.getTime() !== at(0).getTime()) {
        return Promise.resolve();
      }
      // A tick whose policy throws when the worker reads it again: no step expects that.
      Object.defineProperty(tick, "policy", {
        get() {
          throw new Error("unreadable tick");
        },
      });
      return Promise.resolve();
    });
    const job: Job = {
      mode: "poisoned",
      spec: "@hourly",
      option: {},
      policy: { overlap: "skip" },
    };
    await enqueue("poisoned", job, at(0));
    await waitFor(
      "the redelivery failed for want of an answer",
      async () => (await schedule.history("poisoned")).length === 2,
    );
    assert.deepEqual(
      (await schedule.history("poisoned")).map((r) => r.outcome),
      ["failed", "interrupted"],
    );
    assert.ok(log.lines.some((l) => l.error === "unreadable tick"));
    const kv = await (await Namespace.open(nc, "beta")).runState();
    await waitFor("the lock's heartbeat stale", async () => {
      const entry = await kv.get("poisoned.0");
      const heartbeatAt = entry === null
        ? undefined
        : decodeRunState(entry.value).running?.heartbeatAt;
      return heartbeatAt === undefined ||
        Date.now() - Date.parse(heartbeatAt) > ackWait;
    });
    await enqueue("poisoned", job, at(1));
    await waitFor(
      "the next tick run, not skipped",
      () => calls.includes(at(1).toISOString()),
    );
    assert.equal(worker.metrics.skipped, 0);
  }));

Deno.test("a run state bucket deleted under a running worker is created again: the overlap rule holds again", () =>
  withWorkers(async ({ nc, schedule, startWorker, enqueue }) => {
    const { worker, log } = await startWorker();
    const gates = new Map<string, PromiseWithResolvers<void>>();
    const ended = Promise.withResolvers<void>();
    await worker.handle("held", (tick) => {
      const gate = Promise.withResolvers<void>();
      gates.set(tick.scheduledAt.toISOString(), gate);
      return Promise.race([gate.promise, ended.promise]);
    });
    const job: Job = {
      mode: "held",
      spec: "@hourly",
      option: {},
      policy: { overlap: "skip" },
    };
    const called = (second: number) =>
      waitFor(
        `the call of ${at(second).toISOString()}`,
        () => gates.has(at(second).toISOString()),
      );
    try {
      await enqueue("held", job, at(0));
      await called(0);
      gates.get(at(0).toISOString())!.resolve();
      await waitFor("the first run", () => worker.metrics.success === 1);
      const jsm = await jetstream(nc).jetstreamManager();
      await jsm.streams.delete(`KV_${names.runStateBucket}`);
      await enqueue("held", job, at(1));
      await called(1);
      await enqueue("held", job, at(2));
      await waitFor(
        "the tick during the run skipped",
        () => worker.metrics.skipped === 1,
      );
      const [skipped] = await schedule.history("held");
      assert.equal(skipped.scheduledAt.getTime(), at(2).getTime());
      assert.ok(!gates.has(at(2).toISOString()), "never two runs at once");
      assert.ok(
        log.lines.some((l) =>
          l.msg === "run state bucket missing; created again"
        ),
      );
      assert.ok(
        !log.lines.some((l) =>
          l.msg ===
            "run state unavailable; running the tick without its overlap lock"
        ),
      );
      gates.get(at(1).toISOString())!.resolve();
      await waitFor("the second run", () => worker.metrics.success === 2);
    } finally {
      ended.resolve();
    }
  }));

Deno.test("a governed tick read ahead by a busy worker and delivered again runs once", () =>
  withWorkers(async ({ schedule, startWorker, enqueue }) => {
    const calls: string[] = [];
    const handler = async (
      tick: { key: string },
      context: { attempt: number },
    ) => {
      calls.push(`${tick.key}#${context.attempt}`);
      await new Promise((r) =>
        setTimeout(r, tick.key.startsWith("long") ? 4000 : 800)
      );
    };
    const job = (policy?: JobPolicy): Job => ({
      mode: "slow",
      spec: "@hourly",
      option: {},
      ...(policy ? { policy } : {}),
    });
    const w1 = await startWorker({ ackWait: 1500, concurrency: 2, name: "w1" });
    await w1.worker.handle("slow", handler);
    // Both slots busy past the ack wait: the ticks after them are read ahead, unsignalled.
    await enqueue("long", job(), at(0));
    await enqueue("long2", job(), at(0));
    await waitFor("the long calls", () => calls.length === 2);
    await enqueue("filler", job(), at(0));
    await enqueue("gov", job({ overlap: "skip" }), at(0));
    await enqueue("filler2", job(), at(0));
    const w2 = await startWorker({ ackWait: 1500, concurrency: 1, name: "w2" });
    await w2.worker.handle("slow", handler);
    const govCalls = () => calls.filter((c) => c.startsWith("gov"));
    const ranAlready = () =>
      w1.worker.metrics.ranAlready + w2.worker.metrics.ranAlready;
    await waitFor(
      () => `gov's copy dropped, or run again: ${calls}`,
      () => ranAlready() > 0 || govCalls().length > 1,
      15_000,
    );
    assert.equal(govCalls().length, 1, String(calls));
    assert.equal(ranAlready(), 1);
    const outcomes = (await schedule.history("gov")).map((r) => r.outcome);
    assert.equal(outcomes.filter((o) => o === "success").length, 1);
  }));
