import assert from "node:assert/strict";
import type { NatsConnection } from "@nats-io/nats-core";
import { HttpJob, Schedule } from "../mod.ts";
import { decodeDefinition } from "../lib/wire/mod.ts";
import { Namespace } from "../lib/nats/namespace.ts";
import { Node, type NodeOptions } from "../lib/node/node.ts";
import type { KV } from "@nats-io/kv";
import { NatsServer } from "./nats_server.ts";
import { env, Service } from "./_cli.ts";
import { followEvents } from "../lib/nats/events.ts";
import { NamespaceNames } from "../lib/nats/names.ts";
import { jitterOffset } from "../lib/spec/jitter.ts";
import { decodeSettled, SETTLED_KEY } from "../lib/node/settled.ts";
import type { ScheduleEvent } from "../lib/types.ts";
import {
  assertContiguous,
  followTicks,
  recordingLogger,
  waitFor,
} from "./helpers.ts";

const hook = { url: "https://api.example.com/hook" };
const SECOND = 1000;

interface RunningNode {
  nc: NatsConnection;
  node: Node;
  log: ReturnType<typeof recordingLogger>;
}

interface Cluster {
  server: NatsServer;
  schedule: Schedule;
  namespace: Namespace;
  kv: KV;
  queue: Awaited<ReturnType<typeof followTicks>>;
  startNode(options?: Partial<NodeOptions>): Promise<RunningNode>;
  stopNode(node: RunningNode): Promise<void>;
  /** Cuts a node off NATS without stopping it, as a crash looks to the others. */
  killNode(node: RunningNode): Promise<void>;
  /** When `key` was stored (the server's timestamp) and its anchor. */
  stored(key: string): Promise<{ definedAt: number; anchor: number }>;
  /** Waits until the queue holds a tick of `key` scheduled at or after `time`. */
  reach(key: string, time: number): Promise<void>;
}

async function withCluster(fn: (cluster: Cluster) => Promise<void>) {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  const schedule = await Schedule.create("beta", nc);
  const namespace = await Namespace.open(nc, "beta");
  const { kv } = namespace;
  const queue = await followTicks(nc, "beta");
  const running = new Set<RunningNode>();
  const killed = new Set<RunningNode>();
  const cluster: Cluster = {
    server,
    schedule,
    namespace,
    kv,
    queue,
    async startNode(options = {}) {
      const nodeNc = await server.connect();
      const log = recordingLogger();
      const node = await Node.start(nodeNc, {
        namespace: "beta",
        logger: log,
        ...options,
      });
      await node.ready;
      const started = { nc: nodeNc, node, log };
      running.add(started);
      return started;
    },
    async stopNode(node) {
      running.delete(node);
      await node.node.stop();
      await node.nc.drain();
    },
    async killNode(node) {
      running.delete(node);
      killed.add(node);
      await node.nc.close();
    },
    async stored(key) {
      const entry = (await kv.get(key))!;
      const { definition } = decodeDefinition(entry.value);
      return {
        definedAt: entry.created.getTime(),
        anchor: definition.anchor.getTime(),
      };
    },
    async reach(key, time) {
      try {
        await waitFor(
          `a tick of ${key} at ${new Date(time).toISOString()}`,
          () => queue.of(key).some((t) => t >= time),
        );
      } catch (err) {
        throw new Error(
          `${(err as Error).message}; ${await whereTicksAre(key)}`,
        );
      }
    },
  };
  /** On a timeout: the key's last tick in the stream and as followed, and the nodes' counts. */
  const whereTicksAre = async (key: string) => {
    const { names } = namespace;
    const last = await namespace.jsm.streams.getMessage(names.jobStream, {
      last_by_subj: names.jobSubject(key, 0),
    }).then((m) => m?.json<{ scheduledAt: string }>().scheduledAt)
      .catch((err) => `unread (${err.message})`);
    const followed = queue.of(key).at(-1);
    const counts = [...running].map(({ node }) => {
      const { published, duplicates, missed, publishErrors } = node.metrics;
      return { published, duplicates, missed, publishErrors };
    });
    return `last in the stream ${last}, last followed ${
      followed === undefined ? "none" : new Date(followed).toISOString()
    }, nodes ${JSON.stringify(counts)}`;
  };
  try {
    await fn(cluster);
  } finally {
    for (const node of running) await cluster.stopNode(node);
    for (const { node } of killed) await node.stop();
    await queue.stop();
    await nc.close();
  }
}

const nextSecond = (t: number) => Math.floor(t / SECOND) * SECOND + SECOND;

/** Whether the nodes acted as backups: found ticks stored by their owner, or sent copies. */
const backedUp = (...nodes: Node[]) =>
  nodes.some(({ metrics }) => metrics.covered + metrics.duplicates > 0);

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

Deno.test("a node starting goes by the nodes' record: it reads the last tick only of jobs due since", () =>
  withCluster(
    async (
      { schedule, namespace, startNode, stopNode, stored, reach, queue },
    ) => {
      await schedule.set("often", HttpJob("* * * * * *", hook));
      await schedule.set("yearly", HttpJob("0 0 0 1 1 *", hook));
      let node = await startNode();
      const lastTicks = () =>
        node.log.lines.find((line) => line.msg === "definitions loaded")
          ?.lastTicks;
      assert.equal(lastTicks(), "job stream", "no record at the first start");
      await reach("often", nextSecond((await stored("often")).definedAt));
      await stopNode(node);
      const entry = await (await namespace.nodeState()).get(SETTLED_KEY);
      const record = decodeSettled(entry!.value)!;
      const last = Math.max(...queue.of("often"));
      assert.ok(record.through >= last, "the record covers the ticks stored");
      await schedule.set("later", HttpJob("* * * * * *", hook)); // not covered
      await waitFor(
        "two ticks to come due while no node runs",
        () => Date.now() > last + 2.5 * SECOND,
      );
      node = await startNode();
      const read = node.log.lines.find((line) =>
        line.msg === "last ticks read"
      );
      assert.equal(read?.jobs, 2, "often and later: yearly has no tick due");
      assert.equal(lastTicks(), "record");
      await reach("often", nextSecond(Date.now()) + SECOND);
      assertContiguous(queue.of("often"), SECOND, "often, across the restart");
      const { definedAt } = await stored("later");
      assert.equal(Math.min(...queue.of("later")), nextSecond(definedAt - 1));
      assertContiguous(queue.of("later"), SECOND, "later, from its definition");
      assert.equal(node.node.metrics.missed, 0);
      assert.equal(node.node.metrics.duplicates, 0, "nothing sent twice");
    },
  ));

Deno.test("at start, ticks within catchup are published late once; older ones are counted", () =>
  withCluster(async ({ schedule, startNode, stored, reach, queue }) => {
    await schedule.set("cron", HttpJob("* * * * * *", hook));
    const { definedAt } = await stored("cron");
    await waitFor(
      "four seconds to pass",
      () => Date.now() > definedAt + 4 * SECOND,
    );
    const node = await startNode({ catchup: 2 * SECOND });
    const startedAt = Date.now();
    await reach("cron", nextSecond(startedAt) + SECOND);
    const ticks = queue.of("cron");
    assertContiguous(ticks, SECOND, "catch-up");
    assert.ok(
      Math.min(...ticks) >= startedAt - 2 * SECOND - 50,
      "nothing older than catchup",
    );
    assert.ok(
      Math.min(...ticks) < startedAt,
      "late ticks within catchup were published",
    );
    assert.ok(node.node.metrics.missed >= 1);
    assert.ok(
      node.log.lines.some((line) =>
        line.msg === "ticks missed" && line.key === "cron"
      ),
    );
  }));

for (const record of [true, false]) {
  const how = record ? "with the nodes' record" : "reading the job stream";
  Deno.test(`a tick triggered and a message someone wrote while no node ran hide no tick due before them (${how})`, () =>
    withCluster(
      async (
        { schedule, namespace, startNode, stopNode, stored, reach, queue },
      ) => {
        await schedule.set("cron", HttpJob("* * * * * *", hook));
        let node = await startNode();
        await reach("cron", nextSecond((await stored("cron")).definedAt));
        await stopNode(node);
        if (!record) await (await namespace.nodeState()).delete(SETTLED_KEY);
        const stoppedAt = Date.now();
        await waitFor(
          "two ticks to come due while no node runs",
          () => Date.now() > stoppedAt + 2.5 * SECOND,
        );
        const manual = (await schedule.trigger("cron")).scheduledAt.getTime();
        await namespace.js.publish(
          namespace.names.jobSubject("cron", 0),
          new TextEncoder().encode("not a tick"),
        );
        node = await startNode();
        await reach("cron", nextSecond(Date.now()) + SECOND);
        const scheduled = queue.ticks.filter((t) => !t.trigger).map((t) =>
          t.scheduledAt
        );
        assertContiguous(scheduled, SECOND, "across the stop and the trigger");
        assert.ok(
          scheduled.some((t) => t > stoppedAt && t < manual),
          "the ticks due while no node ran were sent late",
        );
        assert.equal(node.node.metrics.missed, 0);
        assert.equal(node.node.metrics.duplicates, 0, "none sent again");
      },
    ));
}

/** The scheduled times a `* * * * * *` job lacks between its first and last stored tick. */
function absent(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  return (sorted.at(-1)! - sorted[0]) / SECOND + 1 - new Set(sorted).size;
}

/** Stops nats-server for `outage` ms, then starts it again with its store. */
async function outage(server: NatsServer, ms: number): Promise<number> {
  await server.stop();
  const stoppedAt = Date.now();
  await waitFor("the outage", () => Date.now() > stoppedAt + ms, ms + 1000);
  await server.restart();
  return Date.now();
}

Deno.test("after a 5 s outage every second is stored once, in order; nothing is missed", () =>
  withCluster(async ({ server, schedule, startNode, stored, reach, queue }) => {
    const a = await startNode();
    const b = await startNode();
    await schedule.set("cron", HttpJob("* * * * * *", hook));
    await reach("cron", nextSecond((await stored("cron")).definedAt) + SECOND);
    const back = await outage(server, 5 * SECOND);
    await reach("cron", nextSecond(back) + 2 * SECOND);
    const ticks = queue.of("cron");
    assertContiguous(ticks, SECOND, "across the outage");
    assert.deepEqual(
      ticks,
      [...ticks].sort((x, y) => x - y),
      "stored in order",
    );
    assert.ok(ticks.filter((t) => t < back).length >= 6, "the outage's ticks");
    assert.equal(a.node.metrics.missed + b.node.metrics.missed, 0);
  }));

Deno.test("after an outage longer than catchup, each node counts exactly the absent ticks", () =>
  withCluster(async ({ server, schedule, startNode, stored, reach, queue }) => {
    const catchup = 3 * SECOND;
    const a = await startNode({ catchup });
    const b = await startNode({ catchup });
    const keys = ["j0", "j1", "j2", "j3", "j4"];
    for (const key of keys) {
      await schedule.set(key, HttpJob("* * * * * *", hook));
    }
    await reach("j4", nextSecond((await stored("j4")).definedAt) + SECOND);
    const back = await outage(server, 7 * SECOND);
    for (const key of keys) await reach(key, nextSecond(back) + 2 * SECOND);
    let lost = 0;
    for (const key of keys) {
      const ticks = queue.of(key);
      lost += absent(ticks);
      assert.deepEqual(
        ticks,
        [...ticks].sort((x, y) => x - y),
        `${key} in order`,
      );
      assert.equal(new Set(ticks).size, ticks.length, `${key}: no duplicate`);
    }
    assert.ok(
      lost >= 3 * keys.length,
      `ticks older than catchup are lost (${lost})`,
    );
    await waitFor(
      `both nodes to count ${lost} missed ticks`,
      () => a.node.metrics.missed === lost && b.node.metrics.missed === lost,
    );
  }));

Deno.test("a definition a stalled node receives later than catchup: the ticks due before are counted missed, a spent job's too", async () => {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  const schedule = await Schedule.create("beta", nc);
  const queue = await followTicks(nc, "beta");
  const node = new Service(["node"], env(server, { SCHEDULE_CATCHUP: "2s" }));
  try {
    await node.until('"definitions loaded"');
    const port = await node.port();
    // Stalled (as by a long pause) while the definition is written and its first
    // seconds pass: the node's watch delivers it 5 s late.
    node.child.kill("SIGSTOP");
    await schedule.set("late", HttpJob("* * * * * *", hook));
    // One whose ticks are all due by then: none left to send, both given up too.
    await schedule.set("spent", HttpJob("* * * * * *", hook, { maxRuns: 2 }));
    const until = Date.now() + 5 * SECOND;
    await waitFor("5 s stalled", () => Date.now() > until);
    node.child.kill("SIGCONT");
    const missed = async () => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`))
        .text();
      return Number(/^schedule_ticks_missed_total (\d+)$/m.exec(text)?.[1]);
    };
    await waitFor(
      "ticks stored and the early ones counted",
      async () => queue.of("late").length > 0 && await missed() > 0,
    );
    const entry = await (await Namespace.open(nc, "beta")).kv.get("late");
    const firstDue = nextSecond(entry!.created.getTime());
    const [firstStored] = queue.of("late");
    await waitFor(
      "the checks of both",
      async () => await missed() >= (firstStored - firstDue) / SECOND + 2,
    );
    assert.equal(
      await missed(),
      (firstStored - firstDue) / SECOND + 2,
      "every tick due before the first stored is counted missed, and the spent job's two",
    );
    assert.deepEqual(queue.of("spent"), []);
  } finally {
    node.child.kill("SIGCONT");
    assert.equal(await node.stop(), 0, node.log);
    await queue.stop();
    await nc.close();
  }
});

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

Deno.test("catchup latest and none after both nodes were down; events report the gap and the nodes", () =>
  withCluster(
    async ({ server, schedule, startNode, stopNode, stored, reach, queue }) => {
      const nc = await server.connect();
      const events: ScheduleEvent[] = [];
      const following = new AbortController();
      const followed = (async () => {
        for await (
          const event of followEvents(
            nc,
            new NamespaceNames("beta"),
            following.signal,
          )
        ) events.push(event);
      })();
      await nc.flush();
      const nodes = [
        await startNode({ name: "a" }),
        await startNode({ name: "b" }),
      ];
      await schedule.set(
        "latest",
        HttpJob("* * * * * *", hook, { catchup: "latest" }),
      );
      await schedule.set(
        "none",
        HttpJob("* * * * * *", hook, { catchup: "none" }),
      );
      await reach(
        "none",
        nextSecond((await stored("none")).definedAt) + SECOND,
      );
      for (const node of nodes) await stopNode(node);
      const lastBefore = (key: string) => Math.max(...queue.of(key));
      const before = { latest: lastBefore("latest"), none: lastBefore("none") };
      const stoppedAt = Date.now();
      await waitFor(
        "4 s down",
        () => Date.now() > stoppedAt + 4 * SECOND,
        6000,
      );
      const restartedAt = Date.now();
      const [a, b] = await Promise.all([
        startNode({ name: "a" }),
        startNode({ name: "b" }),
      ]);
      await reach("none", nextSecond(restartedAt) + 2 * SECOND);
      await reach("latest", nextSecond(restartedAt) + 2 * SECOND);

      for (const key of ["latest", "none"] as const) {
        const after = queue.of(key).filter((t) => t > before[key]);
        assertContiguous(after, SECOND, key);
        assert.ok(
          after[0] > stoppedAt + 3 * SECOND,
          `${key}: nothing old sent`,
        );
      }
      const latest = queue.of("latest").filter((t) => t > before.latest)[0];
      assert.ok(
        latest <= restartedAt + SECOND && latest > restartedAt - SECOND,
      );
      assert.ok(
        queue.of("none").filter((t) => t > before.none)[0] > restartedAt,
      );
      // The node that saw the whole gap reports every tick of it not sent, once; each
      // node's count is what its events report.
      const firstNone = queue.of("none").filter((t) => t > before.none)[0];
      const gap = {
        latest: (latest - before.latest) / SECOND - 1,
        none: (firstNone - before.none) / SECOND - 1,
      };
      const skippedEvents = () =>
        events.filter((e) =>
          e.type === "missed" && e.detail?.startsWith("skipped")
        );
      await waitFor(
        "the skipped ticks reported",
        () =>
          (["latest", "none"] as const).every((key) =>
            Math.max(
              0,
              ...skippedEvents().filter((e) => e.key === key).map((e) =>
                e.count!
              ),
            ) ===
              gap[key]
          ),
      );
      assert.ok(
        skippedEvents().some((e) =>
          e.key === "latest" &&
          e.scheduledAt!.getTime() === before.latest + SECOND &&
          e.until!.getTime() === latest - SECOND
        ),
      );
      const reported = (name: string) =>
        skippedEvents().filter((e) => e.by === name)
          .reduce((sum, e) => sum + e.count!, 0);
      await waitFor(
        "each node's count in its events",
        () =>
          [a, b].every(({ node }) =>
            node.metrics.skipped === reported(node.name)
          ),
      );
      assert.equal(a.node.metrics.missed + b.node.metrics.missed, 0);
      const seen = (type: string) =>
        events.filter((e) => e.type === type).map((e) => e.by).sort();
      assert.deepEqual(seen("node-joined"), ["a", "a", "b", "b"]);
      await Promise.all([a, b].map(stopNode));
      await waitFor("node-left events", () => seen("node-left").length === 4);
      following.abort();
      await followed;
      await nc.close();
    },
  ));

Deno.test("catchup none with jitter: a node joining a running one loses no tick, and counts none skipped", () =>
  withCluster(async ({ schedule, startNode, stored, reach, queue }) => {
    const a = await startNode();
    const keys = Array.from({ length: 16 }, (_, i) => `j${i + 1}`);
    for (const key of keys) {
      await schedule.set(
        key,
        HttpJob("* * * * * *", hook, { jitter: "2s", catchup: "none" }),
      );
    }
    const { definedAt } = await stored("j16");
    await reach("j16", nextSecond(definedAt) + 2 * SECOND);
    // Ticks of the second before are due, some not yet sent (their jitter to come).
    const b = await startNode();
    const joined = Date.now();
    for (const key of keys) await reach(key, nextSecond(joined) + 3 * SECOND);
    for (const key of keys) assertContiguous(queue.of(key), SECOND, key);
    assert.equal(a.node.metrics.missed + b.node.metrics.missed, 0);
    assert.equal(b.node.metrics.skipped, 0, "every late tick was stored");
  }));
