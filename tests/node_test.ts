import assert from "node:assert/strict";
import { HttpJob } from "../mod.ts";
import { assertContiguous, waitFor } from "./helpers.ts";
import {
  backedUp,
  hook,
  nextSecond,
  SECOND,
  withCluster,
} from "./_node_cluster.ts";

Deno.test("two nodes: every second is in the queue exactly once, no gap", () =>
  withCluster(
    async ({ schedule, startNode, stopNode, stored, reach, queue }) => {
      const a = await startNode();
      const b = await startNode();
      await schedule.set("every", HttpJob("@every 1s", hook));
      await schedule.set("cron", HttpJob("* * * * * *", hook));
      const every = await stored("every");
      const cron = await stored("cron");
      await reach("every", every.anchor + 5 * SECOND);
      await reach("cron", nextSecond(cron.definedAt) + 4 * SECOND);
      await stopNode(a);
      await stopNode(b);

      const everyTicks = queue.of("every");
      assertContiguous(everyTicks, SECOND, "@every 1s");
      // The first tick after the definition was stored: anchor + 1 s, unless the put
      // landed after it (the anchor is the whole second before the put).
      const stepsStored = Math.floor((every.definedAt - every.anchor) / SECOND);
      assert.equal(
        Math.min(...everyTicks),
        every.anchor + Math.max(1, stepsStored + 1) * SECOND,
      );
      const cronTicks = queue.of("cron");
      assertContiguous(cronTicks, SECOND, "* * * * * *");
      assert.equal(Math.min(...cronTicks), nextSecond(cron.definedAt));

      const total = queue.ticks.length;
      assert.equal(a.node.metrics.published + b.node.metrics.published, total);
      assert.equal(a.node.metrics.missed + b.node.metrics.missed, 0);
      assert.ok(backedUp(a.node, b.node), "each node backs the other up");
    },
  ));

Deno.test("two nodes in step: each tick is published once, by its owner, and both share them", () =>
  withCluster(async ({ schedule, startNode, stored, reach }) => {
    const a = await startNode();
    const b = await startNode();
    await waitFor(
      "both nodes to count both",
      () => a.node.members.length === 2 && b.node.members.length === 2,
    );
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
    for (const key of keys) {
      await schedule.set(key, HttpJob("* * * * * *", hook));
    }
    const { definedAt } = await stored("k19");
    await reach("k19", nextSecond(definedAt) + SECOND);
    const counts = () =>
      [a, b].map(({ node: { metrics: m } }) => ({
        stored: m.published,
        sent: m.published + m.duplicates,
        covered: m.covered,
      }));
    const before = counts();
    await reach("k19", nextSecond(Date.now()) + 3 * SECOND);
    const after = counts();
    const delta = after.map((x, i) => ({
      stored: x.stored - before[i].stored,
      sent: x.sent - before[i].sent,
      covered: x.covered - before[i].covered,
    }));
    const ticks = delta[0].stored + delta[1].stored;
    const sent = delta[0].sent + delta[1].sent;
    assert.ok(ticks >= 60, `${ticks} ticks stored`);
    assert.ok(sent / ticks <= 1.1, `${sent} publishes for ${ticks} ticks`);
    for (const [i, d] of delta.entries()) {
      assert.ok(d.stored > 0, `node ${i} owns a share`);
      assert.ok(d.covered > 0, `node ${i} covers the other's`);
    }
  }));

Deno.test("three nodes: when one is cut off, the backups send its ticks until the others count two", () =>
  withCluster(
    async ({ schedule, startNode, killNode, stored, reach, queue }) => {
      const nodes = [await startNode(), await startNode(), await startNode()];
      await waitFor(
        "the nodes to count each other",
        () => nodes.every(({ node }) => node.members.length === 3),
      );
      const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
      for (const key of keys) {
        await schedule.set(key, HttpJob("* * * * * *", hook));
      }
      const { definedAt } = await stored("k11");
      await reach("k11", nextSecond(definedAt) + SECOND);
      await killNode(nodes[0]);
      const killedAt = Date.now();
      for (const key of keys) {
        await reach(key, nextSecond(killedAt) + 4 * SECOND);
      }
      const lags = queue.ticks.filter((t) => t.scheduledAt > killedAt).map((
        t,
      ) => t.storedAt - t.scheduledAt);
      assert.ok(
        Math.max(...lags) < 1500,
        `lags up to ${Math.max(...lags)} ms`,
      );
      for (const key of keys) {
        assertContiguous(queue.of(key), SECOND, `${key} across the cut`);
      }
      await waitFor(
        "the others to count two",
        () => nodes.slice(1).every(({ node }) => node.members.length === 2),
      );
    },
  ));

Deno.test("stopping one node mid-run leaves no gap and no duplicate", () =>
  withCluster(
    async ({ schedule, startNode, stopNode, stored, reach, queue }) => {
      const a = await startNode();
      const b = await startNode();
      await schedule.set("cron", HttpJob("* * * * * *", hook));
      const { definedAt } = await stored("cron");
      await reach("cron", nextSecond(definedAt) + 2 * SECOND);
      await stopNode(a);
      const stoppedAt = Date.now();
      await reach("cron", nextSecond(stoppedAt) + 2 * SECOND);
      await stopNode(b);
      assertContiguous(queue.of("cron"), SECOND, "across a node stop");
      assert.equal(Math.min(...queue.of("cron")), nextSecond(definedAt));
    },
  ));

Deno.test("a node that stops hands its keys over: the other sends their next ticks on time", () =>
  withCluster(
    async ({ schedule, startNode, stopNode, stored, reach, queue }) => {
      const a = await startNode();
      const b = await startNode();
      await waitFor(
        "the nodes to count each other",
        () => [a, b].every(({ node }) => node.members.length === 2),
      );
      const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
      for (const key of keys) {
        await schedule.set(key, HttpJob("* * * * * *", hook));
      }
      const { definedAt } = await stored("k11");
      await reach("k11", nextSecond(definedAt) + 2 * SECOND);
      // From its look at a tick of A's key (500 ms into the second), B holds the key's
      // next tick as its backup, to look at 500 ms late. A leaves after B's looks and
      // early enough before the next second for B to hear it.
      await waitFor("the second half of a second", () => {
        const into = Date.now() % SECOND;
        return into > 650 && into < 800;
      });
      const stoppedAt = Date.now();
      await stopNode(a);
      const next = nextSecond(stoppedAt);
      for (const key of keys) await reach(key, next + SECOND);
      const lags = queue.ticks.filter((t) => t.scheduledAt >= next).map((t) =>
        t.storedAt - t.scheduledAt
      );
      assert.ok(
        Math.max(...lags) < 400,
        `every tick from the next second on time, not a standby delay late: lags up to ${
          Math.max(...lags)
        } ms`,
      );
      for (const key of keys) assertContiguous(queue.of(key), SECOND, key);
      await stopNode(b);
    },
  ));

Deno.test("the node reconnects after nats-server restarts and keeps firing", () =>
  withCluster(async ({ server, schedule, startNode, stored, reach }) => {
    const node = await startNode();
    await schedule.set("cron", HttpJob("* * * * * *", hook));
    await reach("cron", nextSecond((await stored("cron")).definedAt) + SECOND);
    await server.restart();
    const restartedAt = Date.now();
    await reach("cron", nextSecond(restartedAt) + 2 * SECOND);
    assert.equal(node.node.metrics.missed, 0);
  }));

Deno.test("@every ticks of a node started later match the first node's", () =>
  withCluster(
    async ({ schedule, startNode, stopNode, stored, reach, queue }) => {
      const a = await startNode();
      await schedule.set("every", HttpJob("@every 2s", hook));
      const { anchor } = await stored("every");
      await reach("every", anchor + 4 * SECOND);
      const b = await startNode();
      await stopNode(a);
      const handedOver = Date.now();
      await reach("every", handedOver + 4 * SECOND);
      assert.ok(b.node.metrics.published > 0, "the later node published");
      const ticks = queue.of("every");
      assertContiguous(ticks, 2 * SECOND, "@every 2s across nodes");
      assert.ok(ticks.every((t) => (t - anchor) % (2 * SECOND) === 0));
    },
  ));

Deno.test("state.prev reports the last published tick, across node restarts", () =>
  withCluster(
    async ({ schedule, startNode, stopNode, stored, reach, queue }) => {
      let node = await startNode();
      await schedule.set("cron", HttpJob("* * * * * *", hook));
      await reach(
        "cron",
        nextSecond((await stored("cron")).definedAt) + SECOND,
      );
      await stopNode(node);
      const last = Math.max(...queue.of("cron"));
      assert.equal((await schedule.get("cron"))[0].state.prev?.getTime(), last);
      node = await startNode();
      await reach("cron", last + 2 * SECOND);
      const prev = (await schedule.get("cron"))[0].state.prev!.getTime();
      assert.ok(prev >= last + 2 * SECOND);
    },
  ));
