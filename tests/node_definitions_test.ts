import assert from "node:assert/strict";
import { HttpJob } from "../mod.ts";
import { jitterOffset } from "../lib/spec/jitter.ts";
import { assertContiguous, followTicks, waitFor } from "./helpers.ts";
import {
  backedUp,
  hook,
  nextSecond,
  SECOND,
  withCluster,
} from "./_node_cluster.ts";

Deno.test("a changed spec takes effect on both nodes; remove and pause stop the ticks", () =>
  withCluster(async ({ schedule, startNode, stored, reach, queue }) => {
    await startNode();
    await startNode();
    await schedule.set("canary", HttpJob("* * * * * *", hook));
    await schedule.set("job", HttpJob("* * * * * *", hook));
    await reach("job", nextSecond((await stored("job")).definedAt) + SECOND);

    await schedule.set("job", HttpJob("*/2 * * * * *", hook));
    const changedAt = (await stored("job")).definedAt;
    await reach("canary", nextSecond(changedAt) + 4 * SECOND);
    const after = queue.of("job").filter((t) => t > changedAt);
    assert.ok(after.length >= 2, "the changed job fires");
    assert.deepEqual(
      after.filter((t) => (t / SECOND) % 2 !== 0),
      [],
      "no node kept the old spec",
    );

    await schedule.pause("job");
    const pausedAt = Date.now();
    await reach("canary", nextSecond(pausedAt) + 3 * SECOND);
    assert.deepEqual(
      queue.of("job").filter((t) => t > pausedAt),
      [],
      "paused: no tick",
    );

    await schedule.resume("job");
    const resumedAt = (await stored("job")).definedAt;
    await reach("job", resumedAt);
    assert.ok(
      queue.of("job").filter((t) => t > pausedAt).every((t) => t > resumedAt),
    );

    await schedule.remove("job");
    const removedAt = Date.now();
    await reach("canary", nextSecond(removedAt) + 3 * SECOND);
    assert.deepEqual(
      queue.of("job").filter((t) => t > removedAt),
      [],
      "removed: no tick",
    );
  }));

Deno.test("a definition stored before the node started, then changed, keeps no job of its old spec", () =>
  withCluster(async ({ schedule, startNode, stored, reach, queue }) => {
    await schedule.set("canary", HttpJob("* * * * * *", hook));
    await schedule.set("job", HttpJob("* * * * * *", hook));
    const { node } = await startNode();
    assert.equal(node.metrics.jobs, 2);
    await reach("job", nextSecond(Date.now()) + SECOND);

    await schedule.set("job", HttpJob("*/2 * * * * *", hook));
    const changedAt = (await stored("job")).definedAt;
    await reach("canary", nextSecond(changedAt) + 4 * SECOND);
    assert.equal(node.metrics.jobs, 2, "replaced, not added");
    const after = queue.of("job").filter((t) => t > changedAt);
    assert.ok(after.length >= 2, "the changed job fires");
    assert.deepEqual(after.filter((t) => (t / SECOND) % 2 !== 0), []);
  }));

Deno.test("a malformed definition is logged and skipped, counted once; other keys keep firing", () =>
  withCluster(async ({ kv, namespace, schedule, startNode, stored, reach }) => {
    await kv.put("garbage", "{not json");
    await kv.put("future", JSON.stringify({ version: 9, jobs: [] }));
    await kv.put(
      "badspec",
      JSON.stringify({
        version: 1,
        jobs: [{ mode: "HTTP", spec: "every day", option: hook }],
        anchor: new Date().toISOString(),
        paused: false,
      }),
    );
    const node = await startNode();
    await schedule.set("good", HttpJob("* * * * * *", hook));
    await reach("good", nextSecond((await stored("good")).definedAt) + SECOND);
    assert.equal(node.node.metrics.rejected, 3);
    const rejected = node.log.lines.filter((line) =>
      line.msg === "definition rejected"
    );
    assert.deepEqual(rejected.map((line) => line.key).sort(), [
      "badspec",
      "future",
      "garbage",
    ]);
    await schedule.set("good2", HttpJob("* * * * * *", hook));
    await kv.put("garbage", "still not json");
    await waitFor(
      "the second rejection",
      () => node.node.metrics.rejected === 4,
    );
    // Purged but for its last message (the node holds two definitions): reloaded, the
    // rejected definition read again is not counted again.
    await namespace.jsm.streams.purge(`KV_${namespace.names.bucket}`, {
      keep: 1,
    });
    await waitFor(
      "the reload",
      () => node.node.metrics.bucketReloads === 1 && !node.node.loading,
    );
    assert.equal(
      node.log.lines.filter((line) => line.msg === "definition rejected")
        .length,
      5,
    );
    assert.equal(node.node.metrics.rejected, 4);
  }));

Deno.test("a deleted, recreated or purged definitions bucket is reloaded: old schedules stop, new ones fire", () =>
  withCluster(
    async ({ namespace, schedule, startNode, stored, reach, queue }) => {
      const nodes = [await startNode(), await startNode()];
      const reloads = (count: number) => () =>
        nodes.every(({ node }) => node.metrics.bucketReloads === count);
      const bucketStream = `KV_${namespace.names.bucket}`;
      for (const key of ["a", "b", "c"]) {
        await schedule.set(key, HttpJob("* * * * * *", hook));
      }
      await reach("c", nextSecond((await stored("c")).definedAt) + SECOND);

      // Deleted: the nodes drop its schedules and create it again.
      await namespace.jsm.streams.delete(bucketStream);
      await waitFor("both nodes to reload", reloads(1));
      const dropped = Date.now();
      await waitFor(
        "the bucket again",
        async () => (await namespace.bucketInfo()) !== null,
      );
      assert.deepEqual(await schedule.list(), []);
      await schedule.set("new", HttpJob("* * * * * *", hook));
      await reach("new", nextSecond((await stored("new")).definedAt) + SECOND);

      // Recreated by someone else, with new definitions at revisions from 1 again.
      await namespace.jsm.streams.delete(bucketStream);
      await namespace.provisionBucket();
      await schedule.set("newer", HttpJob("* * * * * *", hook));
      await waitFor("both nodes to reload again", reloads(2));
      const recreated = Date.now();
      await reach(
        "newer",
        nextSecond((await stored("newer")).definedAt) + SECOND,
      );
      await reach("newer", nextSecond(recreated) + 2 * SECOND);

      // Purged whole (no deletion marker is left): the nodes drop what they held.
      await namespace.jsm.streams.purge(bucketStream);
      await waitFor("both nodes to reload after the purge", reloads(3));
      const purged = Date.now();
      await schedule.set("newest", HttpJob("* * * * * *", hook));
      await reach(
        "newest",
        nextSecond((await stored("newest")).definedAt) + SECOND,
      );

      for (const key of ["a", "b", "c"]) {
        assert.deepEqual(
          queue.of(key).filter((t) => t > dropped),
          [],
          key,
        );
      }
      assert.deepEqual(queue.of("new").filter((t) => t > recreated), []);
      assert.deepEqual(queue.of("newer").filter((t) => t > purged), []);
      // The first node to notice the deletion creates the bucket; the other may find it
      // recreated.
      const reasons = nodes.flatMap(({ log }) =>
        log.lines.filter((line) => line.msg === "reloading the definitions")
          .map((line) => line.reason)
      );
      assert.equal(reasons.length, 6);
      assert.ok(reasons.includes("the definitions bucket was deleted"));
      assert.deepEqual(
        reasons.filter((reason) =>
          reason === "the definitions bucket was purged"
        ),
        [
          "the definitions bucket was purged",
          "the definitions bucket was purged",
        ],
      );
      for (const reason of reasons) {
        assert.match(String(reason), /deleted|recreated|purged/);
      }
    },
  ));

Deno.test("a job stream deleted under a node is created again by it: the ticks due meanwhile are stored, none missed", () =>
  withCluster(
    async ({ server, namespace, schedule, startNode, stored, reach }) => {
      const { node, log } = await startNode();
      await schedule.set("a", HttpJob("* * * * * *", hook));
      await reach("a", nextSecond((await stored("a")).definedAt) + SECOND);
      await namespace.jsm.streams.delete(namespace.names.jobStream);
      const first = nextSecond(Date.now());
      await waitFor(
        "the node to create it again",
        () => node.metrics.streamRestores === 1,
      );
      const nc = await server.connect();
      const after = await followTicks(nc, "beta");
      try {
        await waitFor(
          "ticks 3 s past the deletion in the new stream",
          () => after.of("a").some((t) => t >= first + 3 * SECOND),
        );
        const ticks = after.of("a");
        assert.ok(
          ticks.includes(first),
          "the first tick due after the deletion",
        );
        assertContiguous(ticks, SECOND, "across the deletion");
        assert.equal(node.metrics.missed, 0);
        const restored = log.lines.find((l) => l.msg === "job stream restored");
        assert.deepEqual(
          [restored?.streamCreated, restored?.consumerCreated],
          [true, true],
        );
        assert.ok(
          log.lines.some((l) =>
            l.msg === "the job stream is missing; creating it again"
          ),
        );
      } finally {
        await after.stop();
        await nc.close();
      }
    },
  ));

Deno.test("a node whose follow of the bucket loses its consumer goes on: a definition set then fires", () =>
  withCluster(async ({ namespace, schedule, startNode, stored, reach }) => {
    const { node } = await startNode();
    await schedule.set("a", HttpJob("@hourly", hook));
    await waitFor("a loaded", () => node.metrics.definitions === 1);
    const bucketStream = `KV_${namespace.names.bucket}`;
    for await (const { name } of namespace.jsm.consumers.list(bucketStream)) {
      await namespace.jsm.consumers.delete(bucketStream, name);
    }
    await schedule.set("b", HttpJob("* * * * * *", hook));
    // The client's KV watch took 60 s to notice its consumer gone; reach waits 10 s.
    await reach("b", nextSecond((await stored("b")).definedAt) + SECOND);
    assert.equal(node.metrics.bucketReloads, 0, "followed on, not reloaded");
  }));

Deno.test("the node counts a definition whose ticks are over, and uncounts it when removed or changed", () =>
  withCluster(async ({ schedule, startNode }) => {
    const { node } = await startNode();
    const over = HttpJob("* * * * * *", hook, { end: new Date(SECOND) });
    await schedule.set("over", over);
    await schedule.set("live", HttpJob("@hourly", hook));
    const counts = () => [node.metrics.definitions, node.metrics.jobs];
    await waitFor("both loaded", () => node.metrics.definitions === 2);
    assert.deepEqual(counts(), [2, 1]);
    await schedule.set("over", HttpJob("@hourly", hook));
    await waitFor("its job queued", () => node.metrics.jobs === 2);
    assert.deepEqual(counts(), [2, 2]);
    await schedule.set("over", over);
    await waitFor("its job gone", () => node.metrics.jobs === 1);
    await schedule.remove("over");
    await waitFor("uncounted", () => node.metrics.definitions === 1);
    assert.deepEqual(counts(), [1, 1]);
  }));

Deno.test("jitter: two nodes store each tick once, delayed by the offset both compute, under the time to the next tick", () =>
  withCluster(
    async (
      { schedule, namespace, startNode, stopNode, stored, reach, queue },
    ) => {
      const a = await startNode();
      const b = await startNode();
      // The jitter is longer than the period: each tick's delay stays under the second to
      // the next, so none waits for the one before it, and none is given up, even under a
      // short window.
      const ordered = ["o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8"];
      for (const key of ordered) {
        await schedule.set(
          key,
          HttpJob("* * * * * *", hook, {
            jitter: "2s",
            catchupWindow: "200ms",
          }),
        );
      }
      await schedule.set(
        "jittered",
        HttpJob("* * * * * *", hook, { jitter: "2s" }),
      );
      const { definedAt } = await stored("jittered");
      await reach("jittered", nextSecond(definedAt) + 5 * SECOND);
      for (const key of ordered) {
        await reach(key, nextSecond(definedAt) + 5 * SECOND);
      }
      await stopNode(a);
      await stopNode(b);
      assertContiguous(queue.of("jittered"), SECOND, "jittered");
      for (const key of ordered) assertContiguous(queue.of(key), SECOND, key);
      const ticks = queue.ticks.filter((t) => t.key === "jittered");
      for (const tick of ticks) {
        // Under the jitter, and under the second to the next tick.
        const offset = jitterOffset(
          namespace.names.tickId("jittered", 0, tick.scheduledAt),
          SECOND,
        );
        // A tick sent at its scheduled time (an offset of 0) carries no firesAt.
        const firesAt = tick.firesAt ?? tick.scheduledAt;
        assert.equal(firesAt, tick.scheduledAt + offset, "firesAt");
        assert.ok(
          tick.storedAt >= tick.scheduledAt + offset - 1,
          `stored ${
            tick.storedAt - tick.scheduledAt
          } ms late, offset ${offset}`,
        );
        assert.ok(tick.storedAt - tick.scheduledAt < SECOND + 500);
      }
      assert.ok(
        new Set(ticks.map((t) => (t.firesAt ?? t.scheduledAt) - t.scheduledAt))
          .size > 1,
      );
      assert.equal(a.node.metrics.missed + b.node.metrics.missed, 0);
      assert.ok(backedUp(a.node, b.node), "the other node was the backup");
    },
  ));

Deno.test("maxRuns and start/end: two nodes store exactly the ticks the rule allows", () =>
  withCluster(async ({ schedule, startNode, stored, reach, queue }) => {
    await startNode();
    await startNode();
    const start = nextSecond(Date.now()) + 2 * SECOND;
    const end = start + 2 * SECOND;
    await schedule.set("canary", HttpJob("* * * * * *", hook));
    await schedule.set(
      "limited",
      HttpJob("* * * * * *", hook, { maxRuns: 3 }),
    );
    await schedule.set(
      "window",
      HttpJob("* * * * * *", hook, {
        start: new Date(start - 500),
        end: new Date(end + 500),
      }),
    );
    const { definedAt } = await stored("limited");
    await reach(
      "canary",
      Math.max(end, nextSecond(definedAt) + 2 * SECOND) + 3 * SECOND,
    );
    const first = nextSecond(definedAt);
    assert.deepEqual(queue.of("limited"), [
      first,
      first + SECOND,
      first + 2 * SECOND,
    ]);
    assert.deepEqual(queue.of("window"), [start, start + SECOND, end]);
    const [limited] = await schedule.get("limited");
    assert.equal(limited.state.next, null, "the client's next agrees");
  }));
