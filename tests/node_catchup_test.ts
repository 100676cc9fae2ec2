import assert from "node:assert/strict";
import { HttpJob, Schedule } from "../mod.ts";
import { Namespace } from "../lib/nats/namespace.ts";
import { NatsServer } from "./nats_server.ts";
import { env, Service } from "./_cli.ts";
import { followEvents } from "../lib/nats/events.ts";
import { NamespaceNames } from "../lib/nats/names.ts";
import { decodeSettled, SETTLED_KEY } from "../lib/node/settled.ts";
import type { ScheduleEvent } from "../lib/types.ts";
import { assertContiguous, followTicks, waitFor } from "./helpers.ts";
import { hook, nextSecond, SECOND, withCluster } from "./_node_cluster.ts";

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
