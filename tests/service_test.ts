import assert from "node:assert/strict";
import { nkeys } from "@nats-io/nats-core";
import { NatsServer } from "./nats_server.ts";
import { env, run, Service } from "./_cli.ts";
import { HttpJob, Schedule } from "../mod.ts";
import { closingPort } from "./helpers.ts";

Deno.test("a missing or invalid config stops the node at start, naming the problem", async () => {
  const missing = await run(["--config", "/nonexistent/config.yml"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /\/nonexistent\/config.yml/);

  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/config.yml`,
    "namespace: beta\nnats:\n  hosts: []\n",
  );
  const invalid = await run(["--config", `${dir}/config.yml`]);
  assert.equal(invalid.code, 1);
  assert.match(invalid.stderr, /nats\.hosts/);
  await Deno.remove(dir, { recursive: true });
});

for (
  const [role, args, ready] of [
    ["node", [], '"definitions loaded"'],
    ["node", ["node"], '"definitions loaded"'],
    ["node", ["serve"], '"definitions loaded"'],
    ["worker", ["worker"], '"worker started"'],
  ] as const
) {
  const line = ["schedule", ...args].join(" ");
  Deno.test(`${line} runs a ${role} that never logs its nkey seed and stops cleanly on SIGTERM`, async () => {
    await using server = await NatsServer.start();
    const seed = new TextDecoder().decode(nkeys.createUser().getSeed());
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(
      `${dir}/config.yml`,
      `namespace: beta\nnats:\n  hosts: [${server.url}]\n  nkey: ${seed}\nhttp: { port: 0 }\n`,
    );
    const service = new Service([...args, "--config", `${dir}/config.yml`], {});
    await service.until(ready);
    assert.equal(await service.stop(), 0, service.log);
    assert.match(service.log, /"msg":"stopped"/);
    assert.ok(!service.log.includes(seed), "the seed is not logged");
    assert.match(service.log, /"auth":"nkey"/);
    await Deno.remove(dir, { recursive: true });
  });
}

/** The `msg` of each JSON line of a service's log. */
const messages = (log: string) =>
  log.split("\n").filter((line) => line.startsWith("{")).map((line) =>
    JSON.parse(line).msg
  );

/** Asserts a clean stop: exit 0, `stopping` then `stopped`, no uncaught error. */
function assertCleanStop(code: number, log: string) {
  assert.equal(code, 0, log);
  const msgs = messages(log);
  assert.ok(msgs.includes("stopping"), log);
  assert.equal(msgs.at(-1), "stopped", log);
  assert.doesNotMatch(log, /Uncaught|error: /, log);
}

/** A server with namespace beta and a job firing every second, for a service to run. */
async function busyServer(): Promise<NatsServer> {
  const server = await NatsServer.start();
  const nc = await server.connect();
  const schedule = await Schedule.create("beta", nc);
  await schedule.set(
    "tick",
    HttpJob("* * * * * *", { url: "http://127.0.0.1:9/none" }),
  );
  await nc.close();
  return server;
}

for (
  const [role, ready] of [
    ["node", '"definitions loaded"'],
    ["worker", '"worker started"'],
  ] as const
) {
  Deno.test(`a ${role} stopped while its server dies stops cleanly`, async () => {
    await using server = await busyServer();
    const service = new Service([role], env(server));
    await service.until(ready);
    const stopped = service.stop();
    await service.until('"msg":"stopping"');
    await server.stop();
    assertCleanStop(await stopped, service.log);
  });

  Deno.test(`a ${role} whose server died stops cleanly on SIGTERM, logging no credentials`, async () => {
    await using server = await busyServer();
    const service = new Service([role], {
      ...env(server),
      SCHEDULE_NATS_HOSTS: server.url.replace("//", "//alice:s3cr3t@"),
    });
    await service.until(ready);
    await server.stop();
    await service.until('"msg":"disconnected from NATS"');
    const stopping = performance.now();
    assertCleanStop(await service.stop(), service.log);
    // Within its publish timeout (5 s), not waiting out a record write and a probe.
    assert.ok(performance.now() - stopping < 10_000, "stopped in time");
    assert.ok(!service.log.includes("s3cr3t"), service.log);
    assert.match(service.log, /"hosts":\["nats:\/\/\*\*\*@127.0.0.1:\d+"\]/);
  });
}

Deno.test("a node stopped before it ever reached NATS logs stopping and stopped, and retries no more", async () => {
  // Not a port merely freed: the node's own health server (port 0) was given it once.
  using nats = closingPort();
  const { port } = nats;
  const service = new Service(["node"], {
    SCHEDULE_NAMESPACE: "beta",
    SCHEDULE_NATS_HOSTS: `nats://alice:s3cr3t@127.0.0.1:${port}`,
    SCHEDULE_HTTP_PORT: "0",
  });
  await service.until('"msg":"cannot reach NATS; retrying"');
  assertCleanStop(await service.stop(), service.log);
  assert.ok(
    service.log.includes(`"servers":["nats://***@127.0.0.1:${port}"]`),
    service.log,
  );
  assert.ok(!service.log.includes("s3cr3t"), service.log);
  const msgs = messages(service.log);
  assert.ok(
    !msgs.slice(msgs.indexOf("stopping")).includes(
      "cannot reach NATS; retrying",
    ),
  );
});

for (const role of ["node", "worker"]) {
  Deno.test(`a ${role} on a server without JetStream says so in one line and exits 1`, async () => {
    await using server = await NatsServer.start([], { jetstream: false });
    const { code, stderr } = await run([role], env(server));
    assert.equal(code, 1, stderr);
    const lines = stderr.split("\n").filter((line) => /jetstream/i.test(line));
    assert.deepEqual(lines, [
      "schedule: JetStream is not enabled on the NATS server: start it with -js",
    ]);
    assert.doesNotMatch(stderr, /\n\s+at |Uncaught|retrying/, stderr);
  });
}

/** The JSON lines of a service's log whose `msg` is `msg`. */
const linesOf = (log: string, msg: string) =>
  log.split("\n").filter((line) => line.startsWith("{")).map((line) =>
    JSON.parse(line)
  ).filter((line) => line.msg === msg);

Deno.test("credentials refused on a reconnect close the connection for good: the node exits 1, saying so, never the password", async () => {
  const dir = await Deno.makeTempDir();
  const conf = (password: string) =>
    Deno.writeTextFile(
      `${dir}/nats.conf`,
      `authorization { user: u, password: ${password} }\n`,
    );
  await conf("first-s3cret");
  await using server = await NatsServer.start(["-c", `${dir}/nats.conf`]);
  const node = new Service([], {
    ...env(server),
    SCHEDULE_NATS_USER: "u",
    SCHEDULE_NATS_PASSWORD: "first-s3cret",
  });
  await node.until('"definitions loaded"');
  // The password changes on the server: the client is refused twice and gives up.
  await conf("second-s3cret");
  server.reload();
  await node.until("the NATS connection was closed for good");
  await node.child.stdout.cancel();
  const { code } = await node.child.status;
  assert.equal(code, 1, node.log);
  assert.doesNotMatch(node.log, /s3cret/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("at log level debug, JSON lines tell each tick published and each run; old deletions are not news", async () => {
  await using server = await NatsServer.start();
  const hook = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("ok"),
  );
  const nc = await server.connect();
  const schedule = await Schedule.create("beta", nc);
  await schedule.set("gone", HttpJob("@hourly", { url: "https://a.example" }));
  await schedule.remove("gone");
  const debug = env(server, { SCHEDULE_LOG_LEVEL: "debug" });
  const node = new Service(["node"], debug);
  const worker = new Service(["worker"], debug);
  await node.until('"definitions loaded"');
  await worker.until('"worker started"');
  await schedule.set(
    "tick",
    HttpJob("* * * * * *", { url: `http://127.0.0.1:${hook.addr.port}/` }),
  );
  await node.until('"msg":"tick published"');
  await worker.until('"msg":"run succeeded"');
  // Started now, so that the node above stores the ticks (a second node would go on
  // standby for the job or take it over).
  const quiet = new Service(["node"], env(server));
  await quiet.until('"definitions loaded"');
  const [published] = linesOf(node.log, "tick published");
  assert.equal(published.level, "debug");
  assert.equal(published.key, "tick");
  assert.equal(published.index, 0);
  assert.ok(!isNaN(Date.parse(published.scheduledAt)), node.log);
  assert.equal(typeof published.lag, "number");
  const [ran] = linesOf(worker.log, "run succeeded");
  assert.deepEqual([ran.level, ran.key, ran.index], ["debug", "tick", 0]);
  assert.deepEqual(
    linesOf(node.log, "definition removed").map((line) => line.level),
    ["debug"],
  );
  await schedule.remove("tick");
  await quiet.until('"msg":"definition removed"');
  assert.deepEqual(
    linesOf(quiet.log, "definition removed").map((line) => line.key),
    ["tick"],
    "only the deletion that happened while it ran",
  );
  assert.ok(!quiet.log.includes('"level":"debug"'), quiet.log);
  for (const service of [quiet, node, worker]) {
    assertCleanStop(await service.stop(), service.log);
  }
  await nc.close();
  await hook.shutdown();
});
