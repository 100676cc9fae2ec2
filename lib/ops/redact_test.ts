import assert from "node:assert/strict";
import { redactCredentials, redactHost, redactMessage } from "./redact.ts";

Deno.test("credentials of URLs and hosts are replaced by ***", () => {
  assert.equal(
    redactCredentials("a nats://u:p@h:1 and wss://tok@h/x?y=1, https://h/"),
    "a nats://***@h:1 and wss://***@h/x?y=1, https://h/",
  );
  assert.equal(redactHost("nats://h:4222"), "nats://h:4222");
  assert.equal(redactHost("tok@h:4222"), "***@h:4222");
  assert.equal(
    redactMessage("connect ECONNREFUSED to u:p@h:1", ["u:p@h:1", "h:2"]),
    "connect ECONNREFUSED to ***@h:1",
  );
});
