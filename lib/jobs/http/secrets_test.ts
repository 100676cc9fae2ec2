import assert from "node:assert/strict";
import {
  readSecret,
  secretVariable,
  setSecretHeaders,
  validateSecretName,
} from "./secrets.ts";
import { InvalidJobError } from "../../errors.ts";

Deno.test("a secret comes from SCHEDULE_SECRET_<NAME>, else from its file", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/db.password`, "from-file\r\n");
  await Deno.writeTextFile(`${dir}/api-token`, "from-file");
  Deno.env.set(secretVariable("api-token"), "from-env");
  try {
    assert.equal(secretVariable("db.password"), "SCHEDULE_SECRET_DB_PASSWORD");
    assert.equal(await readSecret("api-token", dir), "from-env");
    assert.equal(await readSecret("db.password", dir), "from-file");
    assert.equal(await readSecret("db.password"), undefined);
    const headers = new Headers();
    assert.equal(
      await setSecretHeaders(headers, { "x-db": "db.password" }, dir),
      undefined,
    );
    assert.equal(headers.get("x-db"), "from-file");
    await Deno.writeTextFile(`${dir}/bad`, "a\nb");
    assert.equal(
      await setSecretHeaders(headers, { "x-bad": "bad" }, dir),
      'secret "bad" is not a valid value for header x-bad',
    );
  } finally {
    Deno.env.delete(secretVariable("api-token"));
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("secret names must be usable as file names", () => {
  for (const bad of ["", ".hidden", "a/b", "..", "a b", 3]) {
    assert.throws(() => validateSecretName(bad), InvalidJobError, String(bad));
  }
  validateSecretName("db.password_2-x");
});

Deno.test("a bad secret name is not echoed: it may be the secret itself", () => {
  assert.throws(
    () => validateSecretName("Bearer TOPSECRET"),
    (err: Error) =>
      err instanceof InvalidJobError && /secret name/.test(err.message) &&
      !err.message.includes("TOPSECRET"),
  );
});
