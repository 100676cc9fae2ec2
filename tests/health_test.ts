import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { NatsServer } from "./nats_server.ts";
import { waitFor } from "./helpers.ts";
import { env, run, Service } from "./_cli.ts";

Deno.test("a health port in use stops the node at start, naming the field", async () => {
  await using server = await NatsServer.start();
  const listener = Deno.listen({ hostname: "0.0.0.0", port: 0 });
  const taken = await run(
    [],
    env(server, { SCHEDULE_HTTP_PORT: String(listener.addr.port) }),
  );
  listener.close();
  assert.equal(taken.code, 1);
  assert.match(taken.stderr, /http\.port: port \d+ is in use/);
});

Deno.test("a node is not ready while it reloads the definitions, and ready again once loaded", async () => {
  await using server = await NatsServer.start();
  const node = new Service([], env(server));
  const port = await node.port();
  const ready = async () => {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`);
    await response.body?.cancel();
    return response.status === 200;
  };
  await waitFor("the node ready", ready);
  const nc = await server.connect();
  const jsm = await jetstreamManager(nc);
  try {
    // The bucket deleted, and its subjects taken by another stream: it cannot be made again.
    await jsm.streams.delete("KV_schedule-beta");
    await jsm.streams.add({
      name: "blocker",
      subjects: ["$KV.schedule-beta.>"],
    });
    await waitFor("the node not ready", async () => !await ready());
    await node.until('"msg":"reloading the definitions"');
    await jsm.streams.delete("blocker");
    await waitFor("the node ready again", ready, 20_000);
  } finally {
    await nc.close();
    assert.equal(await node.stop(), 0);
  }
});

Deno.test("health, readiness and Prometheus metrics; nodes lists the live processes", async () => {
  await using server = await NatsServer.start();
  const node = new Service([], env(server));
  const worker = new Service(["worker"], env(server));
  const nodePort = await node.port();
  const workerPort = await worker.port();
  await node.until('"definitions loaded"');
  await worker.until('"worker started"');
  const get = async (port: number, path: string) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: response.status, text: await response.text() };
  };
  assert.equal((await get(nodePort, "/healthz")).status, 200);
  await waitFor(
    "the node ready",
    async () => (await get(nodePort, "/readyz")).status === 200,
  );
  await waitFor(
    "the worker ready",
    async () => (await get(workerPort, "/readyz")).status === 200,
  );

  const before = (await get(workerPort, "/metrics")).text;
  for (const outcome of ["success", "retry", "failed"]) {
    const series = `schedule_runs_total{outcome="${outcome}"} 0`;
    assert.ok(before.includes(series), `${series} in\n${before}`);
  }

  const admin = (args: string[]) => run(args, env(server));
  assert.equal(
    (await admin([
      "set",
      "tick",
      "--spec",
      "* * * * * *",
      "--url",
      "http://127.0.0.1:9/x",
    ])).code,
    0,
  );
  await waitFor(
    "a tick",
    async () =>
      /schedule_ticks_published_total [1-9]/.test(
        (await get(nodePort, "/metrics")).text,
      ),
  );
  const metrics = (await get(nodePort, "/metrics")).text;
  for (
    const name of [
      "schedule_definitions 1",
      "schedule_ticks_duplicate_total",
      "schedule_ticks_missed_total 0",
      "schedule_publish_errors_total 0",
      "schedule_firing_lag_seconds_bucket",
      "schedule_nats_reconnects_total 0",
      "schedule_nats_connected 1",
      'schedule_build_info{version="0.1.0",role="node"} 1',
      "# TYPE process_cpu_seconds_total counter",
      "process_resident_memory_bytes ",
      "process_start_time_seconds ",
    ]
  ) {
    assert.ok(metrics.includes(name), `${name} in\n${metrics}`);
  }
  // The same machine as the server: its clock is the server's, to a few ms.
  const offset = /^schedule_clock_offset_seconds (\S+)$/m.exec(metrics);
  assert.ok(offset && Math.abs(Number(offset[1])) < 0.05, metrics);
  const error = /^schedule_clock_offset_error_seconds (\S+)$/m.exec(metrics);
  assert.ok(error && Number(error[1]) >= 0 && Number(error[1]) < 0.05, metrics);
  await waitFor(
    "a run",
    async () =>
      /schedule_runs_total\{outcome="retry"\} [1-9]/.test(
        (await get(workerPort, "/metrics")).text,
      ),
  );
  assert.match(
    (await get(workerPort, "/metrics")).text,
    /schedule_run_duration_seconds_bucket/,
  );
  const hook = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("ok"),
  );
  const hookUrl = `http://127.0.0.1:${hook.addr.port}/`;
  assert.equal(
    (await admin(["set", "ok", "--spec", "* * * * * *", "--url", hookUrl]))
      .code,
    0,
  );
  const lastSuccess =
    /^schedule_job_last_success_timestamp_seconds\{key="ok",index="0"\} (\S+)$/m;
  await waitFor(
    "a success",
    async () => lastSuccess.test((await get(workerPort, "/metrics")).text),
  );
  const at = Number(
    lastSuccess.exec((await get(workerPort, "/metrics")).text)![1],
  );
  assert.ok(Math.abs(at - Date.now() / 1000) < 30, String(at));

  const nodes = await admin(["nodes", "--json"]);
  assert.equal(nodes.code, 0, nodes.stderr);
  const statuses = JSON.parse(nodes.stdout);
  assert.deepEqual(statuses.map((s: { role: string }) => s.role), [
    "node",
    "worker",
  ]);
  assert.equal(statuses[0].definitions, 2);
  assert.ok(statuses[0].lastTick);
  for (const status of statuses) {
    assert.ok(Math.abs(status.clockOffsetMs) < 50, nodes.stdout);
    assert.ok(status.clockErrorMs >= 0, nodes.stdout);
  }
  assert.match(
    (await admin(["nodes"])).stdout,
    /^ROLE\s+ID\s+VERSION\s+UPTIME/,
  );

  // They are NATS micro services too: what `nats micro ls` lists.
  const nc = await server.connect();
  const pings = [];
  for await (
    const reply of await nc.requestMany("$SRV.PING", "", { maxWait: 1000 })
  ) {
    pings.push(reply.json<{ name: string; metadata: { namespace: string } }>());
  }
  assert.deepEqual(pings.map((p) => p.name).sort(), [
    "schedule-node",
    "schedule-worker",
  ]);
  assert.ok(pings.every((p) => p.metadata.namespace === "beta"));
  await nc.close();

  assert.equal(await node.stop(), 0);
  assert.equal(await worker.stop(), 0);
  await hook.shutdown();
});
