import assert from "node:assert/strict";
import { nkeys } from "@nats-io/nats-core";
import { connectionOptions } from "./connect.ts";
import { ConfigError } from "../errors.ts";

const hosts = ["127.0.0.1:4222"];

Deno.test("connectionOptions() refuses an nkey seed, a credentials file or a TLS file that can never work, naming the field and no secret", async () => {
  const seed = new TextDecoder().decode(nkeys.createUser().getSeed());
  const good = await connectionOptions({ hosts, nkey: seed }, "test");
  assert.equal(typeof good.authenticator, "function");
  // One character changed: still SU and 56 base32 characters, its checksum wrong.
  const typo = seed.slice(0, 20) + (seed[20] === "A" ? "B" : "A") +
    seed.slice(21);
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/node.creds`,
    "not a credentials file s3cret",
  );
  for (
    const [nats, message] of [
      [{ nkey: typo }, /^nats\.nkey: is not a valid nkey seed$/],
      [
        { creds: `${dir}/node.creds` },
        /^nats\.creds: .* is not a NATS credentials file/,
      ],
      [{ creds: `${dir}/none.creds` }, /^nats\.creds: cannot read /],
      [{ tls: { ca: `${dir}/none.pem` } }, /^nats\.tls\.ca: cannot read /],
      [
        { tls: { cert: `${dir}/none.pem`, key: `${dir}/none-key.pem` } },
        /^nats\.tls\.cert: cannot read /,
      ],
    ] as const
  ) {
    await assert.rejects(
      connectionOptions({ hosts, ...nats }, "test"),
      (err: Error) =>
        err instanceof ConfigError && message.test(err.message) &&
        !err.message.includes(typo) && !err.message.includes("s3cret"),
      JSON.stringify(nats),
    );
  }
  await Deno.remove(dir, { recursive: true });
});
