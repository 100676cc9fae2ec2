import assert from "node:assert/strict";
import { jetstream } from "@nats-io/jetstream";
import { HttpJob, Schedule } from "../mod.ts";
import { NamespaceNames } from "../lib/nats/names.ts";
import { NatsServer } from "./nats_server.ts";
import { env, run, Service } from "./_cli.ts";
import { waitFor } from "./helpers.ts";

const names = new NamespaceNames("beta");
const FILE_SECRET = "Bearer s3cr3t-from-a-file";
const ENV_SECRET = "s3cr3t-from-the-environment";

Deno.test("secret headers reach the receiver from the worker's secrets, and never travel through NATS", async () => {
  await using server = await NatsServer.start();
  const received: Headers[] = [];
  await using receiver = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => {
      received.push(request.headers);
      return new Response("ok");
    },
  );
  const secretsDir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${secretsDir}/api-token`, `${FILE_SECRET}\n`);
  const worker = new Service(
    ["worker"],
    env(server, {
      SCHEDULE_WORKER_SECRETS_DIR: secretsDir,
      SCHEDULE_SECRET_OTHER_TOKEN: ENV_SECRET,
    }),
  );
  const node = new Service(["node"], env(server));
  await worker.until('"worker started"');
  await node.until('"definitions loaded"');

  const nc = await server.connect();
  const schedule = await Schedule.create("beta", nc);
  const url = `http://127.0.0.1:${receiver.addr.port}/hook`;
  await schedule.set(
    "secret",
    HttpJob("* * * * * *", {
      url,
      headers: { "x-plain": "plain-value" },
      secretHeaders: { authorization: "api-token", "x-other": "other-token" },
    }),
    HttpJob("* * * * * *", {
      url,
      secretHeaders: { authorization: "missing-one" },
    }),
  );
  await waitFor("a call with the secrets", () => received.length > 0);
  assert.equal(received[0].get("authorization"), FILE_SECRET);
  assert.equal(received[0].get("x-other"), ENV_SECRET);
  assert.equal(received[0].get("x-plain"), "plain-value");
  await waitFor(
    "a failed run of the job whose secret is missing",
    async () =>
      (await schedule.history("secret")).some((run) => run.index === 1),
  );
  const failed = (await schedule.history("secret")).find((run) =>
    run.index === 1
  )!;
  assert.equal(failed.outcome, "failed");
  assert.match(
    failed.error!,
    /secret "missing-one" not found: set SCHEDULE_SECRET_MISSING_ONE or put a file missing-one in worker.secretsDir/,
  );
  assert.ok(received.every((headers) => !headers.has("x-missing")));

  const jsm = await jetstream(nc).jetstreamManager();
  let messages = 0;
  for (
    const stream of [`KV_${names.bucket}`, names.jobStream, names.runStream]
  ) {
    const { first_seq, last_seq } = (await jsm.streams.info(stream)).state;
    for (let seq = first_seq; seq <= last_seq; seq++) {
      const stored = await jsm.streams.getMessage(stream, { seq });
      if (stored === null) continue;
      messages++;
      const text = new TextDecoder().decode(stored.data);
      assert.ok(!text.includes("s3cr3t"), `${stream} #${seq}: ${text}`);
      if (stream !== names.runStream) {
        assert.match(text, /"(api-token|missing-one)"/);
      }
    }
  }
  assert.ok(messages >= 4);

  const shown = await run(["get", "secret", "--json"], env(server));
  assert.equal(shown.code, 0, shown.stderr);
  const [job] = JSON.parse(shown.stdout);
  assert.deepEqual(job.option.headers, { "x-plain": "***" });
  assert.deepEqual(job.option.secretHeaders, {
    authorization: "api-token",
    "x-other": "other-token",
  });
  await schedule.remove("secret");
  await nc.close();
  for (const service of [node, worker]) {
    assert.equal(await service.stop(), 0, service.log);
    assert.ok(!service.log.includes("s3cr3t"), service.log);
  }
  await Deno.remove(secretsDir, { recursive: true });
});

Deno.test("set --secret-header stores the secret's name; bad secret names are refused", async () => {
  await using server = await NatsServer.start();
  const admin = (args: string[]) => run(args, env(server));
  const base = ["--spec", "@hourly", "--url", "https://a.example.com"];
  const set = await admin([
    "set",
    "k",
    ...base,
    "--secret-header",
    "authorization=api-token",
  ]);
  assert.equal(set.code, 0, set.stderr);
  const [job] = JSON.parse((await admin(["get", "k", "--json"])).stdout);
  assert.deepEqual(job.option.secretHeaders, { authorization: "api-token" });
  for (
    const [flag, message] of [
      ["authorization=../etc/passwd", /secret name must be/],
      ["authorization=Bearer TOPSECRET", /secret name must be/],
      ["bad header=api-token", /secret header "bad header"/],
    ] as const
  ) {
    const bad = await admin(["set", "k", ...base, "--secret-header", flag]);
    assert.equal(bad.code, 1, flag);
    assert.match(bad.stderr, message);
    assert.doesNotMatch(bad.stderr, /etc\/passwd|TOPSECRET/, "not echoed");
  }
  const both = await admin([
    "set",
    "k",
    ...base,
    "--header",
    "Authorization=x",
    "--secret-header",
    "authorization=api-token",
  ]);
  assert.equal(both.code, 1);
  assert.match(both.stderr, /in both headers and secretHeaders/);
});
