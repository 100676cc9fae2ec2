import assert from "node:assert/strict";
import {
  redactCredentials,
  redactHost,
  redactMessage,
  redactUrlCredentials,
} from "./redact.ts";

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

Deno.test("credentials with @ or whitespace in them are replaced whole", () => {
  for (
    const [url, redacted] of [
      ["https://user:pa ss@api.example.com/x", "https://***@api.example.com/x"],
      ["https://user:p@ss@api.example.com", "https://***@api.example.com/"],
      ["nats://alice:p@ss@10.0.0.1:4222", "nats://***@10.0.0.1:4222"],
      ["nats://alice:pa ss@10.0.0.1:4222", "nats://***@10.0.0.1:4222"],
      ["tls://tok@en@nats.example.com", "tls://***@nats.example.com"],
      ["https://api.example.com/a@b", "https://api.example.com/a@b"],
    ]
  ) {
    assert.equal(redactUrlCredentials(url), redacted, url);
    assert.equal(redactHost(url), redacted, url);
  }
  // Not URLs: cut at the last @ before the first / after the scheme.
  assert.equal(redactHost("alice:p@ss@10.0.0.1:4222"), "***@10.0.0.1:4222");
  assert.equal(redactHost("alice:p s@10.0.0.1:4222"), "***@10.0.0.1:4222");
  assert.equal(
    redactUrlCredentials("nats://a:p s@bad host/x@y"),
    "nats://***@bad host/x@y",
  );
  assert.equal(
    redactMessage("cannot reach nats://alice:p@ss@10.0.0.1:4222", []),
    "cannot reach nats://***@10.0.0.1:4222",
  );
  assert.equal(
    redactMessage("cannot reach nats://alice:pa ss@10.0.0.1:4222", [
      "nats://alice:pa ss@10.0.0.1:4222",
    ]),
    "cannot reach nats://***@10.0.0.1:4222",
  );
});
