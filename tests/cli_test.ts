import assert from "node:assert/strict";
import { NatsServer } from "./nats_server.ts";
import { env, run } from "./_cli.ts";

Deno.test("--help and --version exit 0; a bad flag or command exits 2 with the usage", async () => {
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--config PATH/);
  assert.match(help.stdout, /^ {2}node \(alias: serve\) /m);
  assert.equal((await run(["--version"])).code, 0);
  for (
    const args of [
      ["--nope"],
      ["frobnicate"],
      ["get"],
      ["get", "a", "b"],
      ["ls", "--url", "x"],
      ["serve", "--json"],
      ["node", "--json"],
      ["node", "extra"],
    ]
  ) {
    const bad = await run(args);
    assert.equal(bad.code, 2, args.join(" "));
    assert.match(bad.stderr, /Usage:/);
  }
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
