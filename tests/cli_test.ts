import assert from "node:assert/strict";
import { NatsServer } from "./nats_server.ts";
import { env, run, Service } from "./_cli.ts";
import {
  answerStatusBadly,
  COMPILE_PERMISSIONS,
  rawRunRecord,
  waitFor,
} from "./helpers.ts";
import { Kvm } from "@nats-io/kv";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { NamespaceNames } from "../lib/nats/names.ts";
import { parse as parseYaml, parseAllDocuments } from "yaml";

Deno.test("help and version: --help, -h, help [command], <command> --help, version", async () => {
  for (const args of [["--help"], ["-h"], ["help"]]) {
    const help = await run(args);
    assert.equal(help.code, 0, args.join(" "));
    assert.match(help.stdout, /--config <path>/);
    assert.match(help.stdout, /^ {2}node\|serve /m);
    assert.match(help.stdout, /^ {2}history \[options\] <KEY> /m);
  }
  for (const args of [["ls", "--help"], ["help", "ls"], ["ls", "-h"]]) {
    const help = await run(args);
    assert.equal(help.code, 0, args.join(" "));
    assert.match(help.stdout, /^Usage: schedule ls \[options\]/);
    assert.match(help.stdout, /-o, --output <format>/);
    assert.match(help.stdout, /--namespace <name>/, "global flags shown");
    assert.ok(!help.stdout.includes("--spec"), "only the flags of ls");
  }
  for (const args of [["version"], ["--version"], ["-V"]]) {
    const version = await run(args);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  }
});

Deno.test("a bad argument prints one line and where to get help, and exits 2", async () => {
  for (
    const [args, problem, help] of [
      [["ls", "--foo"], "unknown flag --foo for ls", "schedule ls"],
      [
        ["next", "@hourly", "--n", "3"],
        "unknown flag --n for next",
        "schedule next",
      ],
      [["--nope"], "unknown flag --nope", "schedule"],
      [["frobnicate"], "unknown command frobnicate", "schedule"],
      [["get"], "get takes KEY", "schedule get"],
      [["get", "a", "b"], "get takes KEY", "schedule get"],
      [["ls", "--url", "x"], "unknown flag --url for ls", "schedule ls"],
      [["ls", "a"], "ls takes no argument", "schedule ls"],
      [["serve", "--json"], "unknown flag --json for node", "schedule node"],
      [["node", "--json"], "unknown flag --json for node", "schedule node"],
      [["node", "extra"], "node takes no argument", "schedule node"],
      [
        ["next", "@hourly", "-n", "0"],
        "-n takes a whole number",
        "schedule next",
      ],
      [
        ["history", "k", "--limit", "x"],
        "--limit takes a whole number",
        "schedule history",
      ],
      [
        ["set", "x", "--spec", "@hourly"],
        "set needs --spec and --url, or --file",
        "schedule set",
      ],
    ] as const
  ) {
    const bad = await run([...args], { SCHEDULE_NAMESPACE: "beta" });
    assert.equal(bad.code, 2, args.join(" "));
    assert.equal(
      bad.stderr,
      `schedule: ${problem}\nRun '${help} --help' for usage.\n`,
    );
    assert.equal(bad.stdout, "");
  }
  const output = await run(["ls", "-o", "xml"]);
  assert.equal(output.code, 2);
  assert.match(
    output.stderr,
    /^schedule: .*'xml' is invalid\. Allowed choices are json, yaml, wide\.\n/,
  );
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
    "--timeout",
    "10s",
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
    /^KEY +SPEC +ZONE +PAUSED +NEXT +LAST SCHEDULE +LAST RESULT\npair +@hourly \(\+1\) +UTC +false +in \d+[ms]\S* +- +-\nreport +0 30 9 \* \* MON-FRI +Europe\/Paris +false +in \d+[hdm]/,
  );
  assert.match(
    (await admin(["ls", "-o", "wide"])).stdout,
    /LAST RESULT +JOBS\npair .* \d{4}-\d\d-\d\d \d\d:00:00 \+00:00 +- +- +2\n/,
  );
  assert.match(
    (await admin(["get", "report", "--zone"])).stdout,
    /Europe\/Paris +false +PUT https:\/\/api.example.com\/hook +\d{4}-\d\d-\d\d 09:30:00 \+0[12]:00 /,
  );
  assert.deepEqual(
    parseYaml((await admin(["ls", "-o", "yaml"])).stdout),
    JSON.parse((await admin(["ls", "-o", "json"])).stdout),
  );

  const [job] = JSON.parse((await admin(["get", "report", "--json"])).stdout);
  assert.deepEqual(job.option, {
    url: "https://api.example.com/hook?token=abc",
    method: "PUT",
    headers: { "x-token": "***" },
    body: { a: 1 },
    timeout: "10s",
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
  const [paused] = JSON.parse(
    (await admin(["get", "report", "--json"])).stdout,
  );
  assert.deepEqual([paused.state.next, paused.state.paused], [null, true]);
  assert.match(
    (await admin(["ls"])).stdout,
    /^report +0 30 9 \* \* MON-FRI +Europe\/Paris +true +- /m,
  );
  assert.match(
    (await admin(["get", "report"])).stdout,
    /Europe\/Paris +true +PUT/,
  );
  assert.equal((await admin(["resume", "report"])).code, 0);
  assert.equal(
    JSON.parse((await admin(["ls", "--json"])).stdout)[1].paused,
    false,
  );
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
  await Deno.writeTextFile(`${dir}/none.yml`, "[]\n");
  const none = await admin(["set", "pair", "--file", `${dir}/none.yml`]);
  assert.equal(none.code, 1);
  assert.match(
    none.stderr,
    /holds no job; to delete "pair" use `schedule rm pair`\n$/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("set --paused defines a key paused; long keys are cut in tables and errors, not in JSON", async () => {
  await using server = await NatsServer.start();
  const admin = (args: string[]) => run(args, env(server));
  const key = `reports.${"k".repeat(60)}`;
  const set = await admin([
    "set",
    key,
    "--spec",
    "@every 5s",
    "--url",
    "https://a.example.com",
    "--paused",
  ]);
  assert.equal(set.code, 0, set.stderr);
  assert.equal(
    (await admin([
      "set",
      "b",
      "--spec",
      "@daily",
      "--url",
      "https://b.example.com",
    ])).code,
    0,
  );
  const ls = (await admin(["ls"])).stdout.split("\n");
  assert.match(ls[2], /^reports\.k{31}… +@every 5s +UTC +true +- +- +-$/);
  assert.match(ls[1], /^b {41}@daily +UTC +false +in \S+ +- +-$/);
  assert.equal(JSON.parse((await admin(["ls", "--json"])).stdout)[1].key, key);
  assert.equal((await admin(["resume", key])).code, 0);
  assert.match((await admin(["get", key])).stdout, / false .* in [1-5]s /);

  const long = await admin(["get", `${"x".repeat(250)}`]);
  assert.equal(long.code, 1);
  assert.equal(
    long.stderr,
    `schedule: invalid key "${
      "x".repeat(59)
    }…": use 1 to 200 letters, digits or "-/_=.", not starting or ending with "." and without ".."\n`,
  );
  const missing = await admin(["rm", `${"y".repeat(200)}`]);
  assert.match(
    missing.stderr,
    /^schedule: no schedule "y{59}…" in namespace beta\n$/,
  );
});

Deno.test("--namespace and --server override the config on every admin command", async () => {
  await using server = await NatsServer.start();
  const set = await run([
    "set",
    "--namespace",
    "gamma",
    "--server",
    server.url,
    "k",
    "--spec",
    "@daily",
    "--url",
    "https://a.example.com",
  ], { SCHEDULE_NAMESPACE: "beta", SCHEDULE_NATS_HOSTS: "nats://127.0.0.1:1" });
  assert.equal(set.code, 0, set.stderr);
  const ls = (namespace: string) =>
    run(["--namespace", namespace, "-s", server.url, "ls", "--json"]);
  assert.equal(JSON.parse((await ls("gamma")).stdout)[0].key, "k");
  // A namespace nothing was set in (a mistyped one): an error, and nothing created.
  const typo = await ls("beta");
  assert.equal(typo.code, 1);
  assert.match(typo.stderr, /no namespace beta on this server/);
  const nc = await server.connect();
  const streams: string[] = [];
  for await (const name of (await jetstreamManager(nc)).streams.names()) {
    streams.push(name);
  }
  await nc.close();
  assert.ok(!streams.some((name) => name.includes("beta")), streams.join());
  const down = await run(["ls", "--server", "nats://127.0.0.1:1"], env(server));
  assert.equal(down.code, 1);
  assert.match(down.stderr, /^schedule: cannot connect to NATS: /);
});

Deno.test("nodes: an empty table when nothing answers, readable ids and uptimes, fast", async () => {
  await using server = await NatsServer.start();
  const none = await run(["nodes"], env(server));
  assert.equal(none.code, 0, none.stderr);
  assert.equal(none.stdout, "ROLE  ID  VERSION  UPTIME  DETAILS\n");
  assert.equal(
    none.stderr,
    "schedule: no node or worker answered in namespace beta\n",
  );
  const json = await run(["nodes", "-o", "json"], env(server));
  assert.equal(json.stdout, "[]\n");

  const node = new Service([], env(server, { HOSTNAME: "pod-7" }));
  try {
    await node.until('"definitions loaded"');
    let shown = "";
    await waitFor("the node to answer", async () => {
      shown = (await run(["nodes"], env(server))).stdout;
      return shown.includes("pod-7");
    });
    assert.match(shown, /^node +pod-7-[a-z0-9]{5} +\d+\.\d+\.\d+ +\d+s +/m);
    const started = performance.now();
    const [status] = JSON.parse(
      (await run(["nodes", "--json"], env(server))).stdout,
    );
    assert.match(status.id, /^pod-7-[a-z0-9]{5}$/);
    assert.equal(typeof status.uptime, "number");
    const took = performance.now() - started;
    assert.ok(took < 2500, `nodes took ${took} ms, process start included`);
  } finally {
    assert.equal(await node.stop(), 0, node.log);
  }
});

Deno.test("nodes: replies on the status subject that are not statuses are skipped", async () => {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  const answering = answerStatusBadly(nc);
  try {
    const table = await run(["nodes"], env(server));
    assert.equal(table.code, 0, table.stderr);
    assert.match(
      table.stdout,
      /^ROLE +ID +VERSION +UPTIME +DETAILS\nnode +fake-1 +0\.0\.1 +3s\n$/,
    );
    const json = await run(["nodes", "-o", "json"], env(server));
    assert.deepEqual(
      JSON.parse(json.stdout).map((s: { id: string }) => s.id),
      ["fake-1"],
    );
  } finally {
    answering.unsubscribe();
    await nc.close();
  }
});

Deno.test("a server without JetStream: one clear line, exit 1", async () => {
  await using server = await NatsServer.start([], { jetstream: false });
  for (const args of [["ls"], ["get", "k"], ["history", "k"]]) {
    const ls = await run(args, env(server));
    assert.equal(ls.code, 1, args.join(" "));
    assert.equal(
      ls.stderr,
      "schedule: JetStream is not enabled on the NATS server: start it with -js\n",
    );
  }
});

Deno.test("history KEY lists executions as a table or JSON, with --limit", async () => {
  await using server = await NatsServer.start();
  const admin = (args: string[]) => run(args, env(server));
  assert.equal(
    (await admin([
      "set",
      "k",
      "--spec",
      "@daily",
      "--url",
      "https://a.example.com",
    ])).code,
    0,
  );
  const table = await admin(["history", "k", "--limit", "5"]);
  assert.equal(table.code, 0, table.stderr);
  assert.equal(
    table.stdout,
    "SCHEDULED  JOB  ATTEMPT  RESULT  DURATION  WORKER  ERROR\n",
  );
  assert.equal((await admin(["history", "k", "-o", "json"])).stdout, "[]\n");
});

Deno.test("history and describe skip what someone else wrote: run records with bad fields, a pause note that is not a time", async () => {
  await using server = await NatsServer.start();
  const admin = (args: string[]) => run(args, env(server));
  const set = ["--spec", "@daily", "--url", "https://a.example.com"];
  assert.equal((await admin(["set", "k", ...set])).code, 0);
  assert.equal((await admin(["set", "p", ...set])).code, 0);
  const nc = await server.connect();
  const js = jetstream(nc);
  for (
    const bad of [{ worker: undefined }, { trigger: 5 }, { error: 5 }, {}]
  ) {
    await js.publish(
      new NamespaceNames("beta").runSubject("k", 0),
      rawRunRecord("k", bad),
    );
  }
  const kv = await new Kvm(nc).open("schedule-beta");
  const stored = JSON.parse(
    new TextDecoder().decode((await kv.get("p"))!.value),
  );
  await kv.put(
    "p",
    JSON.stringify({ ...stored, paused: true, pause: { at: "yesterday" } }),
  );
  await nc.close();

  const history = await admin(["history", "k", "-o", "json"]);
  assert.equal(history.code, 0, history.stderr);
  assert.equal(JSON.parse(history.stdout).length, 1, "the good record only");
  const table = await admin(["history", "k"]);
  assert.equal(table.code, 0, table.stderr);
  const describe = await admin(["describe", "k"]);
  assert.equal(describe.code, 0, describe.stderr);
  assert.equal(
    describe.stdout.match(/ ago +schedule +1 +failed +1ms$/gm)?.length,
    1,
    describe.stdout,
  );
  const paused = await admin(["describe", "p"]);
  assert.equal(paused.code, 1);
  assert.equal(paused.stdout, "");
  assert.match(paused.stderr, /^schedule: .*pause must be a note.*\n$/);
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
    "--count",
    "1",
  ]);
  assert.match(table.stdout, /^NEXT\n\d{4}-\d\d-\d\dT03:00:00.000Z\n$/);
  const many = await run(["next", "* * * * * *", "-n", "130000"]);
  assert.equal(many.code, 0, many.stderr);
  const lines = many.stdout.trimEnd().split("\n");
  assert.equal(lines.length, 130_001);
  assert.equal(Date.parse(lines[130_000]) - Date.parse(lines[1]), 129_999_000);
  for (
    const [spec, message] of [
      [
        "@reboot",
        /^schedule: spec "@reboot": "@reboot" is not a descriptor: use @yearly/,
      ],
      [
        "61 * * * * *",
        /^schedule: spec "61 \* \* \* \* \*": "61" in the second field ends above 59\n$/,
      ],
      ["* * *", /^schedule: spec "\* \* \*" has 3 fields: expected 6/],
    ]
  ) {
    const bad = await run(["next", spec as string]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, message as RegExp);
  }
});

Deno.test("values that can never work are refused, creating nothing; ls and get show invalid stored entries", async () => {
  await using server = await NatsServer.start();
  const admin = (args: string[]) => run(args, env(server));
  const url = "https://a.example.com";
  const streams = async () => {
    const nc = await server.connect();
    const names = await Array.fromAsync(
      (await jetstreamManager(nc)).streams.names(),
    );
    await nc.close();
    return names;
  };

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
  await Deno.writeTextFile(`${dir}/none.yml`, "[]\n");
  assert.equal(
    (await admin(["set", "k", "--file", `${dir}/none.yml`])).code,
    1,
  );
  const revision = ["--spec", "@daily", "--url", url, "--expected-revision"];
  assert.equal((await admin(["set", "k", ...revision, "abc"])).code, 2);
  // The namespace a first set creates is not created by a set refused.
  assert.deepEqual(await streams(), []);

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
  // A key another tool wrote that is no schedule key (over 200 characters).
  await jetstream(nc).publish(`$KV.schedule-beta.${"z".repeat(201)}`, good);
  await nc.close();

  const ls = await admin(["ls"]);
  assert.equal(ls.code, 0, ls.stderr);
  assert.match(ls.stdout, /^bad\s+INVALID\s+definition: not JSON$/m);
  assert.match(ls.stdout, /^good\s+@hourly\s+UTC\s+false\s+in \d+[ms]/m);
  assert.match(ls.stdout, /^slow\s+INVALID\s+job 0: .*between 1ms and 24h$/m);
  assert.match(ls.stdout, /^z+…\s+INVALID\s+invalid key/m);
  const listed = JSON.parse((await admin(["ls", "--json"])).stdout);
  assert.deepEqual(listed.map((k: { key: string }) => k.key), [
    "bad",
    "good",
    "slow",
    "z".repeat(201),
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

Deno.test("run governance commands: set with a policy and --expected-revision, pause --note, describe, trigger, backfill, revisions", async () => {
  await using server = await NatsServer.start();
  const admin = (args: string[]) => run(args, env(server, { USER: "carol" }));
  const job = ["--spec", "@every 10s", "--url", "https://a.example.com/x"];
  const set = await admin([
    "set",
    "k",
    ...job,
    "--overlap",
    "skip",
    "--max-runs",
    "5",
    "--retry-delay",
    "1s",
    "--by",
    "alice",
  ]);
  assert.equal(set.code, 0, set.stderr);
  const wide = await admin(["get", "k", "-o", "wide"]);
  assert.match(
    wide.stdout,
    /POLICY\n.*overlap=skip maxRuns=5 retry\.delay=1s\n$/,
  );

  const conflict = await admin([
    "set",
    "k",
    ...job,
    "--expected-revision",
    "0",
  ]);
  assert.equal(conflict.code, 1);
  assert.match(conflict.stderr, /^schedule: "k" in namespace beta was changed/);
  const badPolicy = await admin(["set", "k", ...job, "--max-runs", "0"]);
  assert.equal(badPolicy.code, 1);
  assert.match(badPolicy.stderr, /policy: maxRuns must be a whole number/);
  const badRevision = await admin([
    "set",
    "k",
    ...job,
    "--expected-revision",
    "x",
  ]);
  assert.equal(badRevision.code, 2);

  const paused = await admin([
    "pause",
    "k",
    "--note",
    "vendor outage",
    "--by",
    "bob",
  ]);
  assert.equal(paused.code, 0, paused.stderr);
  const text = (await admin(["describe", "k"])).stdout;
  for (
    const line of [
      /^Key: +k$/m,
      /^Paused: +true$/m,
      /^ {2}By: +bob$/m,
      /^ {2}Note: +vendor outage$/m,
      /^Job 0:$/m,
      /^ {2}Policy: +overlap=skip maxRuns=5 retry\.delay=1s$/m,
      /^ {2}Target: +POST https:\/\/a\.example\.com\/x$/m,
      /^ {2}Counts: +fired 0, succeeded 0, failed 0, skipped 0, remaining 5/m,
      /^ {2}Next: +<none>$/m,
    ]
  ) assert.match(text, line);
  const described = JSON.parse(
    (await admin(["describe", "k", "-o", "json"])).stdout,
  );
  assert.equal(described.pause.note, "vendor outage");
  const yaml = parseYaml((await admin(["describe", "k", "-o", "yaml"])).stdout);
  assert.equal(yaml.revision, described.revision);

  const resumed = await admin(["resume", "k"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  const expected = JSON.parse(
    (await admin(["describe", "k", "--json"])).stdout,
  );
  const again = await admin([
    "set",
    "k",
    ...job,
    "--expected-revision",
    String(expected.revision),
  ]);
  assert.equal(again.code, 0, again.stderr);

  const triggered = await admin(["trigger", "k", "-o", "json"]);
  assert.equal(triggered.code, 0, triggered.stderr);
  assert.equal(JSON.parse(triggered.stdout).trigger, "manual");
  const noJob = await admin(["trigger", "k", "--index", "3"]);
  assert.equal(noJob.code, 1);
  assert.match(noJob.stderr, /has no job 3/);
  const backfilled = await admin([
    "backfill",
    "k",
    "--from",
    "now-1m",
    "--to",
    "now",
    "--json",
  ]);
  assert.equal(backfilled.code, 0, backfilled.stderr);
  assert.ok(JSON.parse(backfilled.stdout).fired >= 0);
  for (
    const [args, code, problem] of [
      [
        ["backfill", "k", "--from", "now-1h"],
        2,
        /backfill needs --from and --to/,
      ],
      [["backfill", "k", "--from", "x", "--to", "now"], 2, /--from takes/],
      [
        ["backfill", "k", "--from", "now-960h", "--to", "now"],
        1,
        /longer than 31 days/,
      ],
    ] as const
  ) {
    const bad = await admin([...args]);
    assert.equal(bad.code, code, args.join(" "));
    assert.match(bad.stderr, problem);
  }

  const revisions = await admin(["revisions", "k"]);
  assert.equal(revisions.code, 0, revisions.stderr);
  const rows = revisions.stdout.trim().split("\n").map((line) =>
    line.split(/ {2,}/)
  );
  assert.deepEqual(rows[0], ["REVISION", "AT", "OPERATION", "BY", "NOTE"]);
  assert.deepEqual(rows.slice(1).map((row) => row.slice(2)), [
    ["set", "carol"],
    ["resume", "carol"],
    ["pause", "bob", "vendor outage"],
    ["set", "alice"],
  ]);
  const removed = await admin(["rm", "k"]);
  assert.equal(removed.code, 0, removed.stderr);
  const list = JSON.parse(
    (await admin(["revisions", "k", "-o", "json"])).stdout,
  );
  assert.deepEqual([list[0].operation, list[0].by], ["remove", "carol"]);
});

/**
 * `events -o json` in a process of its own, on namespace `beta` of `server` (with key
 * `k`), once it follows: a trigger by alice shows.
 */
async function followingEvents(server: NatsServer, format = "json") {
  const admin = (args: string[]) => run(args, env(server));
  await admin(["set", "k", "--spec", "@daily", "--url", "https://a.example"]);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...COMPILE_PERMISSIONS,
      new URL("../server.ts", import.meta.url).pathname,
      "events",
      "-o",
      format,
    ],
    env: env(server),
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const reading = (async () => {
    for (;;) {
      const { value, done } = await output.read();
      if (done) return;
      text += value;
    }
  })();
  try {
    // The follower subscribes once it is connected: trigger until an event shows.
    await waitFor("an event", async () => {
      await admin(["trigger", "k", "--by", "alice"]);
      return text.includes("\n");
    }, 20_000);
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  return {
    child,
    /** Waits for the exit: its code, stdout and stderr. */
    async ended() {
      const [{ code }, stderr] = await Promise.all([
        child.status,
        new Response(child.stderr).text(),
        reading,
      ]);
      return { code, text, stderr };
    },
  };
}

Deno.test("events follows until SIGINT; -o json prints one line per event, -o yaml one document", async () => {
  await using server = await NatsServer.start();
  for (const format of ["json", "yaml"]) {
    const events = await followingEvents(server, format);
    events.child.kill("SIGINT");
    const { code, text } = await events.ended();
    assert.equal(code, 0);
    const shown = format === "json"
      ? text.trim().split("\n").map((line) => JSON.parse(line))
      : parseAllDocuments(text).map((doc) => doc.toJS());
    assert.ok(shown.length >= 1);
    assert.deepEqual(
      [shown[0].type, shown[0].key, shown[0].by],
      ["triggered", "k", "alice"],
      format,
    );
  }
});

Deno.test("events exits 1 with one line when the server goes away", async () => {
  await using server = await NatsServer.start();
  const events = await followingEvents(server);
  await server.stop();
  const { code, stderr } = await events.ended();
  assert.equal(code, 1);
  assert.equal(
    stderr.trim(),
    "schedule: the connection to NATS closed: no more events",
  );
});

Deno.test("revisions masks header values and URL credentials unless --show-secrets", async () => {
  await using server = await NatsServer.start();
  const admin = (args: string[]) => run(args, env(server));
  const set = await admin([
    "set",
    "k",
    "--spec",
    "@hourly",
    "--url",
    "https://user:pw0rd@api.example.com/x",
    "--header",
    "authorization=Bearer TOPSECRET",
  ]);
  assert.equal(set.code, 0, set.stderr);
  for (const output of ["json", "yaml"]) {
    const shown = await admin(["revisions", "k", "-o", output]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /authorization/);
    assert.doesNotMatch(shown.stdout, /TOPSECRET|pw0rd/, output);
  }
  const shown = await admin([
    "revisions",
    "k",
    "-o",
    "json",
    "--show-secrets",
  ]);
  assert.equal(shown.code, 0, shown.stderr);
  const [revision] = JSON.parse(shown.stdout);
  assert.deepEqual(revision.definition.jobs[0].option.headers, {
    authorization: "Bearer TOPSECRET",
  });
  assert.match(revision.definition.jobs[0].option.url, /user:pw0rd@/);
});

Deno.test("get -o json or yaml --show-secrets, then set --file, writes the same jobs; masked output is refused", async () => {
  await using server = await NatsServer.start();
  const admin = (args: string[]) => run(args, env(server));
  const body = JSON.stringify({
    text: 'Report for today\r\n \nall figures of the "sales" team',
    blank: "\n \n",
  });
  const set = await admin([
    "set",
    "report",
    "--spec",
    "0 30 9 * * MON-FRI",
    "--url",
    "https://bot:pw@api.example.com/hook?x=1",
    "--method",
    "PUT",
    "--header",
    "x-token=s3cret",
    "--body",
    body,
    "--tz",
    "Europe/Paris",
    "--overlap",
    "skip",
    "--max-runs",
    "5",
  ]);
  assert.equal(set.code, 0, set.stderr);
  const jobs = async () =>
    JSON.parse(
      (await admin(["get", "report", "--json", "--show-secrets"])).stdout,
    )
      .map(({ state: _, ...job }: { state: unknown }) => job);
  const before = await jobs();
  const dir = await Deno.makeTempDir();
  for (const format of ["json", "yaml"]) {
    const got = await admin(["get", "report", "-o", format, "--show-secrets"]);
    await Deno.writeTextFile(`${dir}/jobs.${format}`, got.stdout);
    const again = await admin([
      "set",
      "report",
      "--file",
      `${dir}/jobs.${format}`,
    ]);
    assert.equal(again.code, 0, `${format}: ${again.stderr}`);
    assert.deepEqual(await jobs(), before, format);
  }
  const masked = await admin(["get", "report", "-o", "yaml"]);
  await Deno.writeTextFile(`${dir}/masked.yml`, masked.stdout);
  const refused = await admin(["set", "report", "--file", `${dir}/masked.yml`]);
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    /\*\*\* \(output masked by get\): get it again with --show-secrets/,
  );
  assert.deepEqual(await jobs(), before);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("flags that would be ignored or read as 0 are refused", async () => {
  await using server = await NatsServer.start();
  const admin = (args: string[]) => run(args, env(server));
  const job = ["--spec", "@hourly", "--url", "https://a.example.com/x"];
  assert.equal((await admin(["set", "k", ...job])).code, 0);
  const dir = await Deno.makeTempDir();
  const file = `${dir}/jobs.yml`;
  await Deno.writeTextFile(
    file,
    "- spec: '@daily'\n  option: { url: 'https://a.example.com/f' }\n",
  );
  for (
    const [args, code, problem] of [
      [
        ["set", "f", "--file", file, "--tz", "Europe/Paris", "--url", "x"],
        2,
        /^schedule: --url, --tz cannot go with --file: give each job of the file its own\n/,
      ],
      [
        ["set", "f", "--file", file, "--header", "a=b", "--method", "PUT"],
        2,
        /^schedule: --method, --header cannot go with --file/,
      ],
      [
        ["set", "f", "--file", file, "--spec", "@hourly"],
        2,
        /^schedule: --spec cannot go with --file/,
      ],
      [
        ["set", "new", ...job, "--expected-revision", ""],
        2,
        /--expected-revision takes a whole number, 0 or more/,
      ],
      [
        ["set", "k", ...job, "--expected-revision", "0x1"],
        2,
        /--expected-revision takes a whole number, 0 or more/,
      ],
      [["set", "n", ...job, "--max-runs", "0x10"], 1, /maxRuns/],
      [["set", "n", ...job, "--retry-max-attempts", "1e1"], 1, /maxAttempts/],
      [["set", "n", ...job, "--pause-after-failures", " 2 "], 1, /pauseAfter/],
      [["trigger", "k", "--index", ""], 2, /--index takes a whole number/],
      [["trigger", "k", "--index", "1e0"], 2, /--index takes a whole number/],
      [["history", "k", "--limit", " "], 2, /--limit takes a whole number/],
      [["next", "@hourly", "--tz", ""], 1, /time zone "": unknown/],
      [
        ["set", "tz", ...job, "--tz", ""],
        1,
        /time zone "": unknown/,
      ],
    ] as const
  ) {
    const bad = await admin([...args]);
    assert.equal(bad.code, code, `${args.join(" ")}: ${bad.stderr}`);
    assert.match(bad.stderr, problem, args.join(" "));
  }
  await Deno.remove(dir, { recursive: true });
  const list = JSON.parse((await admin(["ls", "--json"])).stdout);
  assert.deepEqual(list.map((key: { key: string }) => key.key), ["k"]);
});

Deno.test("a set that creates the namespace creates it as the services would: the workers' consumer starts within the configured catchup", async () => {
  await using server = await NatsServer.start();
  const set = await run(
    ["set", "k", "--spec", "@daily", "--url", "https://a.example.com"],
    { ...env(server), SCHEDULE_CATCHUP: "10m" },
  );
  assert.equal(set.code, 0, set.stderr);
  const nc = await server.connect();
  try {
    const names = new NamespaceNames("beta");
    const { config } = await (await jetstreamManager(nc)).consumers.info(
      names.jobStream,
      names.workerConsumer,
    );
    const from = Date.now() - Date.parse(config.opt_start_time!);
    assert.ok(from > 9 * 60_000 && from < 11 * 60_000, `${from} ms back`);
  } finally {
    await nc.close();
  }
});

Deno.test("a time without an offset is UTC on every host: backfill --from and --to, a policy's start; other forms are refused", async () => {
  await using server = await NatsServer.start();
  const admin = (args: string[], TZ = "UTC") => run(args, env(server, { TZ }));
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/jobs.yml`,
    "- spec: '0 0 * * * *'\n  policy: { start: '2030-01-01 00:00' }\n" +
      "  option: { url: 'https://a.example.com/f' }\n",
  );
  assert.equal(
    (await admin(["set", "k", "--file", `${dir}/jobs.yml`])).code,
    0,
  );
  for (const TZ of ["Asia/Tokyo", "America/New_York"]) {
    const got = JSON.parse(
      (await admin(["get", "k", "-o", "json"], TZ)).stdout,
    );
    assert.equal(got[0].state.next, "2030-01-01T00:00:00.000Z", TZ);
  }
  await Deno.writeTextFile(
    `${dir}/jobs.yml`,
    "- spec: '0 0 * * * *'\n  policy: { start: 'Jan 1 2030' }\n" +
      "  option: { url: 'https://a.example.com/f' }\n",
  );
  const local = await admin(["set", "k", "--file", `${dir}/jobs.yml`]);
  assert.equal(local.code, 1);
  assert.match(local.stderr, /start must be a date or an ISO 8601 time/);
  await Deno.remove(dir, { recursive: true });

  await admin([
    "set",
    "h",
    "--spec",
    "0 0 * * * *",
    "--url",
    "https://a.example.com",
  ]);
  const hour = Math.floor(Date.now() / 3600_000) * 3600_000 - 48 * 3600_000;
  const text = new Date(hour).toISOString().slice(0, 19);
  const fill = await admin(
    ["backfill", "h", "--from", text, "--to", text, "-o", "json"],
    "Asia/Tokyo",
  );
  assert.equal(fill.code, 0, fill.stderr);
  const shown = JSON.parse(fill.stdout);
  assert.deepEqual([shown.from, shown.to, shown.fired], [
    new Date(hour).toISOString(),
    new Date(hour).toISOString(),
    1,
  ]);
});
