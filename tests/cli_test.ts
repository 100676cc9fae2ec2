import assert from "node:assert/strict";
import { NatsServer } from "./nats_server.ts";
import { env, run } from "./_cli.ts";
import { Kvm } from "@nats-io/kv";

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
    headers: { "x-token": "***" },
    body: { a: 1 },
  });
  const [listed] = JSON.parse((await admin(["ls", "--json"])).stdout)[1].jobs;
  assert.deepEqual(listed.option.headers, { "x-token": "***" });
  for (const command of [["get", "report"], ["ls"]]) {
    const shown = await admin([...command, "--json", "--show-secrets"]);
    assert.match(shown.stdout, /"x-token": "secret"/, command.join(" "));
  }
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

Deno.test("values that can never work are refused; ls and get show invalid stored entries", async () => {
  await using server = await NatsServer.start();
  const admin = (args: string[]) => run(args, env(server));
  const url = "https://a.example.com";

  const every = await admin([
    "set",
    "far",
    "--spec",
    "@every 99999999999999999999999h",
    "--url",
    url,
  ]);
  assert.equal(every.code, 1);
  assert.match(every.stderr, /at most 2562047h47m16.854775807s/);
  const dir = await Deno.makeTempDir();
  for (const timeout of ["600h", "99999999999999999999999h", "1ns"]) {
    await Deno.writeTextFile(
      `${dir}/jobs.yml`,
      `- spec: '@hourly'\n  option: { url: '${url}', timeout: '${timeout}' }\n`,
    );
    const set = await admin(["set", "slow", "--file", `${dir}/jobs.yml`]);
    assert.equal(set.code, 1, timeout);
    assert.match(set.stderr, /timeout .* between 1ms and 24h/, timeout);
  }
  assert.equal(JSON.parse((await admin(["ls", "--json"])).stdout).length, 0);

  await Deno.writeTextFile(
    `${dir}/jobs.yml`,
    `- spec: '@hourly'\n  option: { url: '${url}', timeout: '30s' }\n`,
  );
  assert.equal(
    (await admin(["set", "good", "--file", `${dir}/jobs.yml`])).code,
    0,
  );
  const nc = await server.connect();
  const kv = await new Kvm(nc).open("schedule-beta");
  const good = new TextDecoder().decode((await kv.get("good"))!.value);
  await kv.put("bad", "not json");
  await kv.put("slow", good.replace('"30s"', '"600h"'));
  await nc.close();

  const ls = await admin(["ls"]);
  assert.equal(ls.code, 0, ls.stderr);
  assert.match(ls.stdout, /^bad\s+INVALID\s+definition: not JSON$/m);
  assert.match(ls.stdout, /^good\s+1\s+\d{4}-/m);
  assert.match(ls.stdout, /^slow\s+INVALID\s+job 0: .*between 1ms and 24h$/m);
  const listed = JSON.parse((await admin(["ls", "--json"])).stdout);
  assert.deepEqual(listed.map((k: { key: string }) => k.key), [
    "bad",
    "good",
    "slow",
  ]);
  assert.deepEqual(listed[0], { key: "bad", invalid: "definition: not JSON" });
  assert.equal(listed[1].jobs.length, 1);

  const get = await admin(["get", "bad"]);
  assert.equal(get.code, 1);
  assert.equal(get.stdout, "");
  assert.match(get.stderr, /"bad" holds an invalid definition: .*not JSON/);
  const json = await admin(["get", "slow", "--json"]);
  assert.equal(json.code, 1);
  assert.equal(JSON.parse(json.stdout).key, "slow");
  assert.match(JSON.parse(json.stdout).invalid, /between 1ms and 24h/);
  await Deno.remove(dir, { recursive: true });
});
