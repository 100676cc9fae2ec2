import assert from "node:assert/strict";
import { nkeys } from "@nats-io/nats-core";
import {
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
} from "@nats-io/jwt";
import { NatsServer } from "./nats_server.ts";

import { COMPILE_PERMISSIONS, waitFor } from "./helpers.ts";

/** The executable runs with exactly what `deno task compile` grants. */
const PERMISSIONS = COMPILE_PERMISSIONS;
const serverTs = new URL("../server.ts", import.meta.url).pathname;
const decoder = new TextDecoder();

function command(args: string[], env: Record<string, string> = {}) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, serverTs, ...args],
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  });
}

async function run(args: string[], env: Record<string, string> = {}) {
  const { code, stdout, stderr } = await command(args, env).output();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
  };
}

/** A running service process whose stderr log is collected. */
class Service {
  readonly child: Deno.ChildProcess;
  log = "";
  readonly #reader;

  constructor(args: string[], env: Record<string, string>) {
    this.child = command(args, env).spawn();
    this.#reader = this.child.stderr.pipeThrough(new TextDecoderStream())
      .getReader();
  }

  /** Reads the log until it holds `text`, failing after 20 s. */
  async until(text: string): Promise<void> {
    const deadline = setTimeout(() => this.child.kill("SIGKILL"), 20_000);
    try {
      while (!this.log.includes(text)) {
        const { value, done } = await this.#reader.read();
        if (done) {
          throw new Error(
            `the process ended before logging ${text}:\n${this.log}`,
          );
        }
        this.log += value;
      }
    } finally {
      clearTimeout(deadline);
    }
  }

  /** The port the health and metrics endpoint listens on. */
  async port(): Promise<number> {
    await this.until('"msg":"serving health and metrics"');
    return Number(
      /"msg":"serving health and metrics","port":(\d+)/.exec(this.log)![1],
    );
  }

  /** Sends SIGTERM and returns the exit code once the log is complete. */
  async stop(): Promise<number> {
    this.child.kill("SIGTERM");
    for (
      let chunk = await this.#reader.read();
      !chunk.done;
      chunk = await this.#reader.read()
    ) {
      this.log += chunk.value;
    }
    await this.child.stdout.cancel();
    return (await this.child.status).code;
  }
}

const env = (server: NatsServer, extra: Record<string, string> = {}) => ({
  SCHEDULE_NAMESPACE: "beta",
  SCHEDULE_NATS_HOSTS: server.url,
  SCHEDULE_HTTP_PORT: "0",
  SCHEDULE_DEBUG: "false",
  ...extra,
});

Deno.test("--help and --version exit 0; a bad flag or command exits 2 with the usage", async () => {
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--config PATH/);
  assert.equal((await run(["--version"])).code, 0);
  for (
    const args of [["--nope"], ["frobnicate"], ["get"], ["get", "a", "b"], [
      "ls",
      "--url",
      "x",
    ], [
      "serve",
      "--json",
    ]]
  ) {
    const bad = await run(args);
    assert.equal(bad.code, 2, args.join(" "));
    assert.match(bad.stderr, /Usage:/);
  }
});

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
    ["worker", ["worker"], '"worker started"'],
  ] as const
) {
  Deno.test(`a ${role} runs, never logs its nkey seed, and stops cleanly on SIGTERM`, async () => {
    await using server = await NatsServer.start();
    const seed = decoder.decode(nkeys.createUser().getSeed());
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

Deno.test("credentials NATS refuses stop the node at start, without printing them", async () => {
  await using server = await NatsServer.start([
    "--user",
    "node",
    "--pass",
    "right-password",
  ]);
  const refused = await run(
    [],
    env(server, {
      SCHEDULE_NATS_USER: "node",
      SCHEDULE_NATS_PASSWORD: "wrong-password",
    }),
  );
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /NATS refused the configured credentials/);
  assert.ok(!(refused.stdout + refused.stderr).includes("wrong-password"));

  const accepted = new Service(
    [],
    env(server, {
      SCHEDULE_NATS_USER: "node",
      SCHEDULE_NATS_PASSWORD: "right-password",
    }),
  );
  await accepted.until('"definitions loaded"');
  assert.equal(await accepted.stop(), 0);
});

Deno.test("a token authenticates; a wrong one stops the node at start", async () => {
  await using server = await NatsServer.start(["--auth", "the-token"]);
  const refused = await run(
    [],
    env(server, { SCHEDULE_NATS_TOKEN: "not-the-token" }),
  );
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /NATS refused the configured credentials/);
  assert.ok(!(refused.stdout + refused.stderr).includes("not-the-token"));
  const accepted = new Service(
    [],
    env(server, { SCHEDULE_NATS_TOKEN: "the-token" }),
  );
  await accepted.until('"definitions loaded"');
  assert.equal(await accepted.stop(), 0);
});

Deno.test("a credentials file (JWT) authenticates the node", async () => {
  const operator = nkeys.createOperator();
  const account = nkeys.createAccount();
  const user = nkeys.createUser();
  const system = nkeys.createAccount();
  const systemJwt = await encodeAccount("SYS", system, {}, {
    signer: operator,
  });
  const accountJwt = await encodeAccount("schedule", account, {
    limits: {
      conn: -1,
      subs: -1,
      data: -1,
      payload: -1,
      mem_storage: -1,
      disk_storage: -1,
      streams: -1,
      consumer: -1,
    },
  }, { signer: operator });
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/nats.conf`,
    `operator: ${await encodeOperator("test", operator)}\nresolver: MEMORY\n` +
      `system_account: ${system.getPublicKey()}\n` +
      `resolver_preload: { ${account.getPublicKey()}: ${accountJwt}, ` +
      `${system.getPublicKey()}: ${systemJwt} }\n`,
  );
  await Deno.writeFile(
    `${dir}/node.creds`,
    fmtCreds(await encodeUser("node", user, account), user),
  );
  await using server = await NatsServer.start(["-c", `${dir}/nats.conf`]);
  const node = new Service(
    [],
    env(server, { SCHEDULE_NATS_CREDS: `${dir}/node.creds` }),
  );
  await node.until('"definitions loaded"');
  assert.match(node.log, /"auth":"creds"/);
  assert.equal(await node.stop(), 0);
  const missing = await run(
    [],
    env(server, { SCHEDULE_NATS_CREDS: `${dir}/missing.creds` }),
  );
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nats.creds: cannot read/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("TLS with a CA and a client certificate", async () => {
  const dir = await Deno.makeTempDir();
  const openssl = async (...args: string[]) => {
    const { code, stderr } = await new Deno.Command("openssl", {
      args,
      cwd: dir,
      stdin: "null",
      stderr: "piped",
    })
      .output();
    assert.equal(code, 0, decoder.decode(stderr));
  };
  await openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=test-ca",
    "-keyout",
    "ca-key.pem",
    "-out",
    "ca.pem",
  );
  for (
    const [name, extension] of [[
      "server",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ], [
      "client",
      "extendedKeyUsage=clientAuth",
    ]]
  ) {
    await openssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      `/CN=${name}`,
      "-keyout",
      `${name}-key.pem`,
      "-out",
      `${name}.csr`,
    );
    await Deno.writeTextFile(`${dir}/${name}.ext`, `${extension}\n`);
    await openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca-key.pem",
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      `${name}.ext`,
      "-out",
      `${name}.pem`,
    );
  }
  await using server = await NatsServer.start([
    "--tls",
    "--tlscert",
    `${dir}/server.pem`,
    "--tlskey",
    `${dir}/server-key.pem`,
    "--tlscacert",
    `${dir}/ca.pem`,
    "--tlsverify",
  ]);
  const node = new Service(
    [],
    env(server, {
      SCHEDULE_NATS_HOSTS: `tls://127.0.0.1:${server.port}`,
      SCHEDULE_NATS_TLS_CA: `${dir}/ca.pem`,
      SCHEDULE_NATS_TLS_CERT: `${dir}/client.pem`,
      SCHEDULE_NATS_TLS_KEY: `${dir}/client-key.pem`,
    }),
  );
  await node.until('"definitions loaded"');
  assert.match(node.log, /"tls":true/);
  assert.equal(await node.stop(), 0);
  await Deno.remove(dir, { recursive: true });
});

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
      'schedule_build_info{version="0.1.0",role="node"} 1',
    ]
  ) {
    assert.ok(metrics.includes(name), `${name} in\n${metrics}`);
  }
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

  const nodes = await admin(["nodes", "--json"]);
  assert.equal(nodes.code, 0, nodes.stderr);
  const statuses = JSON.parse(nodes.stdout);
  assert.deepEqual(statuses.map((s: { role: string }) => s.role), [
    "node",
    "worker",
  ]);
  assert.equal(statuses[0].definitions, 1);
  assert.ok(statuses[0].lastTick);
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
});

Deno.test("admin commands manage schedules, as tables or JSON", async () => {
  await using server = await NatsServer.start();
  const admin = (args: string[]) => run(args, env(server));

  const set = await admin([
    "set",
    "report",
    "--spec",
    "0 30 9 * * MON-FRI",
    "--url",
    "https://api.example.com/hook?token=abc",
    "--method",
    "put",
    "--header",
    "x-token=secret",
    "--body",
    '{"a":1}',
    "--tz",
    "Europe/Paris",
  ]);
  assert.equal(set.code, 0, set.stderr);
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/jobs.yml`,
    "- spec: '@hourly'\n  option: { url: 'https://a.example.com' }\n- spec: '@daily'\n  option: { url: 'https://b.example.com' }\n",
  );
  assert.equal(
    (await admin(["set", "pair", "--file", `${dir}/jobs.yml`])).code,
    0,
  );

  assert.deepEqual(
    JSON.parse((await admin(["ls", "--json"])).stdout).map((
      k: { key: string },
    ) => k.key),
    [
      "pair",
      "report",
    ],
  );
  assert.match(
    (await admin(["ls"])).stdout,
    /^KEY\s+JOBS\s+NEXT\npair\s+2\s+\d{4}-/,
  );

  const [job] = JSON.parse((await admin(["get", "report", "--json"])).stdout);
  assert.deepEqual(job.option, {
    url: "https://api.example.com/hook?token=abc",
    method: "PUT",
    headers: { "x-token": "secret" },
    body: { a: 1 },
  });
  assert.equal(job.tz, "Europe/Paris");
  const table = (await admin(["get", "report"])).stdout;
  assert.match(table, /PUT https:\/\/api.example.com\/hook/);
  assert.ok(
    !table.includes("token=abc") && !table.includes("secret"),
    "tables hide secrets",
  );

  assert.equal((await admin(["pause", "report"])).code, 0);
  assert.equal(
    JSON.parse((await admin(["get", "report", "--json"])).stdout)[0].state.next,
    null,
  );
  assert.equal((await admin(["resume", "report"])).code, 0);
  assert.equal((await admin(["rm", "report"])).code, 0);
  const missing = await admin(["get", "report"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no schedule "report"/);
  const invalid = await admin([
    "set",
    "x",
    "--spec",
    "nope",
    "--url",
    "https://a.example.com",
  ]);
  assert.equal(invalid.code, 1);
  assert.match(invalid.stderr, /spec "nope"/);
  assert.equal((await admin(["set", "x", "--spec", "@hourly"])).code, 2);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("next previews a spec without NATS", async () => {
  const next = await run(["next", "@every 15s", "-n", "3", "--json"], {
    SCHEDULE_NAMESPACE: "x",
  });
  assert.equal(next.code, 0, next.stderr);
  const runs = JSON.parse(next.stdout).map(Date.parse);
  assert.deepEqual([runs[1] - runs[0], runs[2] - runs[1]], [15_000, 15_000]);
  const table = await run([
    "next",
    "0 0 12 * * *",
    "--tz",
    "Asia/Tokyo",
    "-n",
    "1",
  ]);
  assert.match(table.stdout, /^NEXT\n\d{4}-\d\d-\d\dT03:00:00.000Z\n$/);
  assert.equal((await run(["next", "nope"])).code, 1);
});
