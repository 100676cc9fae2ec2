import assert from "node:assert/strict";
import { nkeyAuthenticator, nkeys } from "@nats-io/nats-core";
import { jetstream } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { HttpJob, Schedule } from "../mod.ts";
import { announce, listProcesses } from "../lib/ops/discovery.ts";
import { Node } from "../lib/node/node.ts";
import { Worker } from "../lib/worker/worker.ts";
import { startConsole } from "../lib/console/mod.ts";
import { parseConfig } from "../lib/ops/config.ts";
import { NatsServer } from "./nats_server.ts";
import { recordingLogger, waitFor } from "./helpers.ts";

/** Connects as a fresh nkey user; `errors` collects the permission errors NATS reports. */
function user() {
  const pair = nkeys.createUser();
  const errors: string[] = [];
  return {
    publicKey: pair.getPublicKey(),
    errors,
    async connect(server: NatsServer): Promise<NatsConnection> {
      const nc = await connect({
        servers: server.url,
        authenticator: nkeyAuthenticator(pair.getSeed()),
      });
      (async () => {
        for await (const status of nc.status()) {
          if (status.type === "error") errors.push(status.error.message);
        }
      })();
      return nc;
    },
  };
}

Deno.test("k8s/nats-accounts.conf gives the node, the worker, the client and the console what each needs", async () => {
  const node = user();
  const worker = user();
  const client = user();
  const consoleUser = user();
  const conf = (await Deno.readTextFile(
    new URL("../k8s/nats-accounts.conf", import.meta.url),
  ))
    .replace("UNODEPUBLICKEYREPLACEME", node.publicKey)
    .replace("UWORKERPUBLICKEYREPLACEME", worker.publicKey)
    .replace("UCLIENTPUBLICKEYREPLACEME", client.publicKey)
    .replace("UCONSOLEPUBLICKEYREPLACEME", consoleUser.publicKey);
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/nats.conf`, conf);
  await using server = await NatsServer.start(["-c", `${dir}/nats.conf`]);

  let calls = 0;
  const hook = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => {
      calls++;
      return new Response("ok");
    },
  );

  const clientNc = await client.connect(server);
  const schedule = await Schedule.create("beta", clientNc);
  await schedule.set(
    "job",
    HttpJob("* * * * * *", { url: `http://127.0.0.1:${hook.addr.port}/` }),
  );
  await schedule.trigger("job", { by: "ops" });
  await schedule.describe("job");
  for await (const _ of schedule.revisions("job")) break;

  const nodeNc = await node.connect(server);
  const publisher = await Node.start(nodeNc, {
    namespace: "beta",
    logger: recordingLogger(),
  });
  await publisher.ready;
  const announced = await announce(nodeNc, "beta", "node", () => ({}));
  const workerNc = await worker.connect(server);
  const executor = await Worker.start(workerNc, {
    namespace: "beta",
    logger: recordingLogger(),
  });
  // Fails once: the retry reads the job's run history.
  let logCalls = 0;
  await executor.handle(
    "log",
    () =>
      ++logCalls === 1 ? Promise.reject(new Error("once")) : Promise.resolve(),
  );
  await schedule.set("logged", { mode: "log", spec: "@yearly", option: null });
  await schedule.trigger("logged", { by: "ops" });

  await waitFor("two calls", () => calls >= 2);
  await waitFor(
    "the retried tick's records",
    async () => (await schedule.history("logged")).length === 2,
  );
  assert.deepEqual(
    (await schedule.history("logged")).map((run) => [run.attempt, run.outcome]),
    [[2, "success"], [1, "retry"]],
  );
  const [info] = await schedule.get("job");
  assert.ok(
    info.state.prev && info.state.lastRun,
    "state from the queue and the history",
  );
  assert.ok((await schedule.history("job")).length >= 1);
  assert.deepEqual((await listProcesses(clientNc, "beta")).map((s) => s.role), [
    "node",
  ]);

  // The console reads its pages, and writes as it does with write access.
  const consoleNc = await consoleUser.connect(server);
  const running = await startConsole(
    consoleNc,
    parseConfig(
      `namespace: beta\nnats: { hosts: ["${server.url}"] }\nconsole: { port: 0 }\n`,
      {},
    ),
  );
  for (
    const [path, shows] of [
      ["/", "job"],
      ["/schedules/job", "manual"],
      ["/cluster", 'data-role="node"'],
    ]
  ) {
    const page = await fetch(running.url + path);
    assert.equal(page.status, 200, path);
    assert.match(await page.text(), new RegExp(shows), path);
  }
  const steered = await Schedule.create("beta", consoleNc);
  await steered.pause("job", { note: "check", by: "console" });
  await steered.resume("job", { by: "console" });
  await steered.trigger("job", { by: "console" });
  await steered.set("job", [HttpJob("@yearly", { url: "https://a.example" })], {
    expectedRevision: (await steered.describe("job")).revision,
    by: "console",
  });
  await steered.remove("job", { by: "console" });
  for await (const removal of steered.revisions("job")) {
    assert.deepEqual([removal.operation, removal.by], ["remove", "console"]);
    break;
  }
  await running.stop();
  // Not the workers' consumer: its ticks are the workers'.
  await assert.rejects(
    jetstream(consoleNc).consumers.get("schedule-beta-jobs", "workers").then(
      (workers) => workers.next({ expires: 1000 }),
    ),
  );
  await waitFor(
    "the refusal to take the workers' ticks",
    () =>
      consoleUser.errors.some((e) =>
        e.includes("MSG.NEXT.schedule-beta-jobs.workers")
      ),
  );

  // And no more than that: the worker cannot change definitions.
  await assert.rejects(
    Schedule.create("beta", workerNc).then((s) =>
      s.set("x", HttpJob("@hourly", { url: "https://a.example" }))
    ),
  );

  await announced.stop();
  await publisher.stop();
  await executor.stop();
  for (const nc of [clientNc, nodeNc, workerNc, consoleNc]) await nc.close();
  await hook.shutdown();
  await Deno.remove(dir, { recursive: true });
  assert.deepEqual(node.errors, []);
  assert.deepEqual(client.errors, []);
  assert.ok(
    consoleUser.errors.every((e) => e.includes("workers")),
    consoleUser.errors.join("\n"),
  );
  // Only the refused `set` above: a definition read or a history read refused would
  // show here too.
  assert.ok(
    worker.errors.every((e) => e.includes('Publish to "$KV.schedule-beta.')),
    worker.errors.join("\n"),
  );
});
