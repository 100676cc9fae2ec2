/**
 * Nodes with wrong clocks, run as processes under libfaketime: no tick is stored before
 * its scheduled time by the server's clock, none is missing, none is duplicated.
 */

import assert from "node:assert/strict";
import { HttpJob, Schedule } from "../mod.ts";
import { Kvm } from "@nats-io/kv";
import { NamespaceNames } from "../lib/nats/names.ts";
import { NatsServer } from "./nats_server.ts";
import { env, Service } from "./_cli.ts";
import { assertContiguous, faketime, followTicks, waitFor } from "./helpers.ts";

const hook = { url: "https://api.example.com/hook" };
const KEYS = ["a", "b", "c", "d", "e", "f", "g", "h"];
/** How long the ticks are followed once every node is up, in ms. */
const FOLLOWED = 6000;

/** The node's `/metrics` and `/readyz`. */
async function monitor(service: Service) {
  const port = await service.port();
  const get = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: response.status, text: await response.text() };
  };
  const metrics = (await get("/metrics")).text;
  const offset = /^schedule_clock_offset_seconds (\S+)$/m.exec(metrics);
  return { offset: Number(offset?.[1]), ready: (await get("/readyz")).status };
}

/**
 * Runs one node per entry of `shifts` (a libfaketime offset such as `+3s`, or `""` for the
 * true clock), in that order, and checks every tick stored while they run.
 */
async function scenario(shifts: string[]): Promise<void> {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  const schedule = await Schedule.create("beta", nc);
  for (const key of KEYS) await schedule.set(key, HttpJob("* * * * * *", hook));
  const queue = await followTicks(nc, "beta");
  const nodes: Service[] = [];
  try {
    for (const shift of shifts) {
      const shifted = shift ? faketime(shift) : {};
      const node = new Service(["node"], env(server, shifted));
      nodes.push(node);
      await node.until('"definitions loaded"');
    }
    for (const [i, shift] of shifts.entries()) {
      const seconds = shift ? -Number.parseFloat(shift) : 0;
      await waitFor(`node ${shift || "on time"} measured`, async () => {
        const { offset, ready } = await monitor(nodes[i]);
        return Math.abs(offset - seconds) < 0.1 &&
          ready === (shift ? 503 : 200);
      });
      if (shift) assert.match(nodes[i].log, /beyond the bound; standing by/);
    }
    const until = Date.now() + FOLLOWED;
    await waitFor(
      "ticks",
      () => KEYS.every((key) => queue.of(key).some((tick) => tick >= until)),
      FOLLOWED + 5000,
    );
  } finally {
    for (const node of nodes) assert.equal(await node.stop(), 0, node.log);
    await queue.stop();
    await nc.close();
  }
  const early = queue.ticks.filter((tick) => tick.storedAt < tick.scheduledAt);
  assert.deepEqual(
    early.map((tick) => `${tick.key}: ${tick.scheduledAt - tick.storedAt} ms`),
    [],
    "stored before their time",
  );
  for (const key of KEYS) {
    const times = queue.of(key);
    assert.ok(times.length >= FOLLOWED / 1000, `${key}: ${times.length}`);
    assertContiguous(times, 1000, key);
  }
}

Deno.test("a node 3 s fast beside a node on time: nothing early, missing or duplicated", async () => {
  await scenario(["", "+3s"]);
});

Deno.test("a node 3 s slow beside a node on time: nothing early, missing or duplicated", async () => {
  await scenario(["", "-3s"]);
});

Deno.test("a node 3 s fast alone stores every tick, late rather than early", async () => {
  await scenario(["+3s"]);
});

Deno.test("a node 3 s fast starts a new definition at its first tick by the server's clock, not as if 3 s late", async () => {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  const schedule = await Schedule.create("beta", nc);
  const queue = await followTicks(nc, "beta");
  const node = new Service(["node"], env(server, faketime("+3s")));
  try {
    await node.until('"definitions loaded"');
    await waitFor("the offset measured", async () => {
      const { offset } = await monitor(node);
      return Math.abs(offset + 3) < 0.1;
    });
    // With `catchup: none` a tick sent late is skipped: going by its own clock, the node
    // took the first three seconds of the definition for late ones.
    await schedule.set(
      "new",
      HttpJob("* * * * * *", hook, { catchup: "none" }),
    );
    const kv = await new Kvm(nc).open(new NamespaceNames("beta").bucket);
    const definedAt = (await kv.get("new"))!.created.getTime();
    const firstDue = Math.floor(definedAt / 1000) * 1000 + 1000;
    await waitFor("three ticks", () => queue.of("new").length >= 3);
    const [first] = queue.of("new");
    // The watch may deliver the definition a moment after its first second began.
    assert.ok(
      first <= firstDue + 1000,
      `first tick ${first - firstDue} ms after the first due`,
    );
  } finally {
    assert.equal(await node.stop(), 0, node.log);
    await queue.stop();
    await nc.close();
  }
});

Deno.test("two workers, one 5 s fast: the overlap lock goes by the server's clock, never two runs of a skip job at once", async () => {
  await using server = await NatsServer.start();
  let running = 0;
  let most = 0;
  let ended = 0;
  await using receiver = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async () => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      running--;
      ended++;
      return new Response("ok");
    },
  );
  const nc = await server.connect();
  const schedule = await Schedule.create("beta", nc);
  // A heartbeat older than the ack wait (2 s) is stale: a worker 5 s fast, judging by
  // its own clock, took the on-time worker's live lock for a dead one's.
  const ackWait = { SCHEDULE_WORKER_ACK_WAIT: "2s" };
  const services = [
    new Service(["node"], env(server)),
    new Service(["worker"], env(server, ackWait)),
    new Service(["worker"], env(server, { ...ackWait, ...faketime("+5s") })),
  ];
  try {
    await services[0].until('"definitions loaded"');
    await services[1].until('"worker started"');
    await services[2].until('"worker started"');
    await schedule.set(
      "slow",
      HttpJob("* * * * * *", {
        url: `http://127.0.0.1:${receiver.addr.port}/slow`,
      }, { overlap: "skip" }),
    );
    await waitFor("five runs", () => ended >= 5, 20_000);
    assert.equal(most, 1, "two runs of a skip job at once");
  } finally {
    await Promise.all(services.map((service) => service.stop()));
    await nc.close();
  }
});
