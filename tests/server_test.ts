import assert from "node:assert/strict";
import { nkeys } from "@nats-io/nats-core";
import { NatsServer } from "./nats_server.ts";

const PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-env",
  "--allow-sys",
];
const serverTs = new URL("../server.ts", import.meta.url).pathname;

function node(args: string[], env: Record<string, string> = {}) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, serverTs, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  });
}

Deno.test("--help and --version exit 0; a bad flag or command exits 2 with the usage", async () => {
  const help = await node(["--help"]).output();
  assert.equal(help.code, 0);
  assert.match(new TextDecoder().decode(help.stdout), /--config PATH/);
  assert.equal((await node(["--version"]).output()).code, 0);
  const bad = await node(["--nope"]).output();
  assert.equal(bad.code, 2);
  assert.match(new TextDecoder().decode(bad.stderr), /Usage:/);
  assert.equal((await node(["frobnicate"]).output()).code, 2);
});

Deno.test("a missing or invalid config stops the node at start, naming the problem", async () => {
  const missing = await node(["--config", "/nonexistent/config.yml"]).output();
  assert.equal(missing.code, 1);
  assert.match(
    new TextDecoder().decode(missing.stderr),
    /\/nonexistent\/config.yml/,
  );

  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/config.yml`,
    "namespace: beta\nnats:\n  hosts: []\n",
  );
  const invalid = await node(["--config", `${dir}/config.yml`]).output();
  assert.equal(invalid.code, 1);
  assert.match(new TextDecoder().decode(invalid.stderr), /nats\.hosts/);
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
    const seed = new TextDecoder().decode(nkeys.createUser().getSeed());
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(
      `${dir}/config.yml`,
      `namespace: beta\ndebug: false\nnats:\n  hosts: [${server.url}]\n  nkey: ${seed}\n`,
    );
    const child = node([...args, "--config", `${dir}/config.yml`]).spawn();
    const reader = child.stderr.pipeThrough(new TextDecoderStream())
      .getReader();
    let log = "";
    while (!log.includes(ready)) {
      const { value, done } = await reader.read();
      if (done) {
        throw new Error(`the ${role} exited before it was ready:\n${log}`);
      }
      log += value;
    }
    child.kill("SIGTERM");
    for (
      let chunk = await reader.read();
      !chunk.done;
      chunk = await reader.read()
    ) {
      log += chunk.value;
    }
    const { code } = await child.status;
    await child.stdout.cancel();
    assert.equal(code, 0, log);
    assert.match(log, /"msg":"stopped"/);
    assert.ok(!log.includes(seed), "the seed is not logged");
    assert.match(log, /"nkey":"set"/);
    await Deno.remove(dir, { recursive: true });
  });
}
