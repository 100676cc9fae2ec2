import assert from "node:assert/strict";
import { nkeys } from "@nats-io/nats-core";
import {
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
} from "@nats-io/jwt";
import { NatsServer } from "./nats_server.ts";
import { env, makeCertificates, run, Service } from "./_cli.ts";

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
  await makeCertificates(dir);
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
