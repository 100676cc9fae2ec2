import assert from "node:assert/strict";
import { UnsupportedServerError } from "../errors.ts";
import { assertSupportedServer } from "./server_version.ts";

Deno.test("assertSupportedServer refuses only a server known to be older than 2.10", () => {
  for (
    const version of ["2.10.0", "2.10.27", "2.15.1", "2.14.0-RC.1", "3.0.0"]
  ) {
    assertSupportedServer(version);
  }
  for (const version of [undefined, "", "dev"]) assertSupportedServer(version);
  for (const version of ["2.9.25", "2.2.0", "1.4.1", "2.9.0-beta.1"]) {
    assert.throws(
      () => assertSupportedServer(version),
      (err) =>
        err instanceof UnsupportedServerError &&
        err.message.startsWith(`nats-server ${version} is older than 2.10`),
      version,
    );
  }
});
