import assert from "node:assert/strict";
import { nkeys } from "@nats-io/nats-core";
import { NatsServer } from "./nats_server.ts";
import { run, Service } from "./_cli.ts";

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
