import assert from "node:assert/strict";
import { dirname } from "node:path";
import { ensureNatsServer } from "../lib/dev/binary.ts";
import { run } from "./_cli.ts";
import { COMPILE_PERMISSIONS, waitFor } from "./helpers.ts";

const serverTs = new URL("../server.ts", import.meta.url).pathname;

/**
 * `schedule dev` with the executable's permissions, finding nats-server on `PATH` (the
 * only one the executable may run).
 */
async function startDev(args: string[], env: Record<string, string> = {}) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...COMPILE_PERMISSIONS, serverTs, "dev", ...args],
    env: {
      PATH: dirname(await ensureNatsServer()),
      HOME: Deno.env.get("HOME") ?? "",
      ...env,
    },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const collect = (stream: ReadableStream<Uint8Array>) => {
    const text = { value: "" };
    const done = stream.pipeThrough(new TextDecoderStream()).pipeTo(
      new WritableStream({ write: (chunk) => void (text.value += chunk) }),
    );
    return { text, done };
  };
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  return {
    child,
    get stdout() {
      return stdout.text.value;
    },
    get stderr() {
      return stderr.text.value;
    },
    /** Waits for the exit; the code and the complete output. */
    async exit() {
      const { code } = await child.status;
      await Promise.all([stdout.done, stderr.done]);
      return code;
    },
  };
}

Deno.test("schedule dev runs nats-server, a node and a worker; a job set through the CLI runs; Ctrl-C stops them all", async () => {
  const runs: string[] = [];
  await using receiver = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      runs.push(req.headers.get("schedule-scheduled-at") ?? "");
      return new Response("ok");
    },
  );
  const data = await Deno.makeTempDir({ prefix: "dev-data-" });
  // --namespace over SCHEDULE_NAMESPACE, as for every command.
  const dev = await startDev([
    "--data",
    data,
    "--port",
    "0",
    "--namespace",
    "gamma",
  ], {
    SCHEDULE_NAMESPACE: "beta",
  });

  let natsUrl = "";
  try {
    await waitFor("the banner", () => dev.stdout.includes("Ctrl-C"), 20_000)
      .catch((err) => {
        throw new Error(`${err.message}\n${dev.stdout}\n${dev.stderr}`);
      });
    natsUrl = /nats:\/\/127\.0\.0\.1:\d+/.exec(dev.stdout)![0];
    const health = [
      ...dev.stdout.matchAll(/http:\/\/127\.0\.0\.1:\d+\/readyz/g),
    ]
      .map((m) => m[0]);
    assert.equal(health.length, 2, dev.stdout);
    assert.match(
      dev.stdout,
      new RegExp(
        `SCHEDULE_NATS_HOSTS=${natsUrl} SCHEDULE_NAMESPACE=gamma deno task start set demo`,
      ),
    );
    for (const url of health) {
      await waitFor(`${url} ready`, async () => {
        const response = await fetch(url).catch(() => undefined);
        await response?.body?.cancel();
        return response?.status === 200;
      });
    }

    const set = await run([
      "set",
      "demo",
      "--spec",
      "@every 1s",
      "--url",
      `http://127.0.0.1:${receiver.addr.port}/hook`,
    ], { SCHEDULE_NATS_HOSTS: natsUrl, SCHEDULE_NAMESPACE: "gamma" });
    assert.equal(set.code, 0, set.stderr);
    await waitFor("a run of the job", () => runs.length > 0, 15_000);
  } catch (err) {
    // Stopped as Ctrl-C stops it, so that its nats-server stops too.
    dev.child.kill("SIGINT");
    await dev.exit();
    throw err;
  }
  dev.child.kill("SIGINT");
  assert.equal(await dev.exit(), 0, dev.stderr);
  const nodeStopped = dev.stderr.indexOf('"msg":"stopped","definitions"');
  const workerStopped = dev.stderr.indexOf('"msg":"stopped","success"');
  assert.ok(
    nodeStopped > 0 && workerStopped > nodeStopped,
    `the node stops, then the worker:\n${dev.stderr}`,
  );
  const port = Number(new URL(natsUrl.replace("nats:", "http:")).port);
  await assert.rejects(
    Deno.connect({ hostname: "127.0.0.1", port }),
    "nats-server is gone",
  );
  assert.ok((await Deno.stat(`${data}/jetstream`)).isDirectory);
  await Deno.remove(data, { recursive: true });
});

Deno.test("schedule dev explains a NATS port in use, and rejects options not its own", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const data = await Deno.makeTempDir({ prefix: "dev-data-" });
  const inUse = await startDev([
    "--data",
    data,
    "--port",
    `${taken.addr.port}`,
  ]);
  assert.equal(await inUse.exit(), 1, inUse.stderr);
  assert.match(inUse.stderr, /port \d+ is in use: give another with --port/);

  const refused: [string[], RegExp][] = [
    [["extra"], /^schedule: dev takes no argument\n/],
    [
      ["--config", "x.yml"],
      /^schedule: dev takes only --data DIR, --port N and --namespace NAME\n/,
    ],
    [["--server", "nats://a:1"], /^schedule: dev takes only --data DIR/],
    [["--json"], /^schedule: unknown flag --json for dev\n/],
    [["--port", ""], /^schedule: --port takes a port number/],
    [["--port", "0x50"], /^schedule: --port takes a port number/],
  ];
  for (const [args, message] of refused) {
    const bad = await startDev(args);
    assert.equal(await bad.exit(), 2, bad.stderr);
    assert.match(bad.stderr, message);
  }
  // A bad setting ends it before nats-server is looked for or started.
  await Deno.remove(data, { recursive: true });
  const setting = await startDev(["--data", data, "--port", "0"], {
    SCHEDULE_WORKER_CONCURRENCY: "0",
  });
  assert.equal(await setting.exit(), 1, setting.stderr);
  assert.match(setting.stderr, /worker\.concurrency/);
  await assert.rejects(Deno.stat(data), Deno.errors.NotFound, "no data folder");
});
