import assert from "node:assert/strict";
import { NatsServer } from "../../tests/nats_server.ts";
import { recordingLogger } from "../../tests/helpers.ts";
import { Namespace } from "../nats/namespace.ts";
import { parseSpec } from "../spec/spec.ts";
import { zeroNodeMetrics } from "./_util.ts";
import { InitialLoad } from "./initial_load.ts";
import { JobRules } from "./rule.ts";
import type { Loading } from "./schedule_job.ts";

Deno.test("a definition held back for its last tick: read one by one, or the whole queue when a read fails", async () => {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  try {
    const namespace = await Namespace.open(nc, "beta");
    const { names } = namespace;
    const stored = Date.UTC(2026, 0, 1);
    const tick = `{"version":1,"key":"k","scheduledAt":"${
      new Date(stored).toISOString()
    }"}`;
    await namespace.js.publish(names.jobSubject("k", 0), tick);
    const now = Date.now();
    const log = recordingLogger();
    const rules = new JobRules(60_000, 120_000, log);
    const loading = {
      key: "k",
      definition: {
        jobs: [{ spec: "* * * * * *", mode: "HTTP", option: {} }],
        anchor: new Date(0),
        paused: false,
      },
      specs: [parseSpec("* * * * * *")],
      definedAt: 0,
      revision: 1,
      bucketRevision: 1,
      now,
    } as unknown as Loading;
    const open = (
      lastTick: () => Promise<number | undefined>,
      signal?: AbortSignal,
    ) =>
      InitialLoad.open({
        signal,
        namespace,
        bucket: "b1",
        log,
        now: () => now,
        metrics: zeroNodeMetrics(),
        onEvent: () => {},
        settled: () =>
          Promise.resolve({
            through: now - 5000,
            bucket: "b1",
            revision: 1,
            node: "n",
          }),
        lastTick,
      });
    const loaded: string[] = [];
    const load = (_: number, { key }: Loading) => void loaded.push(key);

    const reading = await open(() => Promise.resolve(now - 2000));
    assert.equal(reading.hold(1, loading, rules), true, "a tick is due since");
    assert.deepEqual(await reading.finish(load), []);
    assert.deepEqual(loaded, ["k"], "loaded once read");
    assert.equal(reading.catchUp.last("k", 0, 1), now - 2000);

    const failing = await open(() => Promise.reject(new Error("no answer")));
    assert.equal(failing.hold(1, loading, rules), true);
    await failing.finish(load);
    assert.ok(
      log.lines.some((line) =>
        line.msg === "reading last ticks failed; reading the whole job queue"
      ),
    );
    assert.equal(
      failing.catchUp.last("k", 0, 1),
      stored,
      "from the whole queue",
    );
    assert.deepEqual(loaded, ["k", "k"]);

    // Stopping (the sender closed under the reads): the load ends, the queue unread.
    const stopping = await open(
      () => Promise.reject(new Error("the sender is closed")),
      AbortSignal.abort(),
    );
    assert.equal(stopping.hold(1, loading, rules), true);
    await assert.rejects(stopping.finish(load), /the sender is closed/);
    assert.deepEqual(loaded, ["k", "k"], "nothing more loaded");
  } finally {
    await nc.close();
  }
});
