import assert from "node:assert/strict";
import process from "node:process";
import {
  parseYamlRedacted,
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
    // A NATS host: `redactHost`, which takes no path into account (a NATS URL has none).
    if (!url.startsWith("https:")) assert.equal(redactHost(url), redacted, url);
  }
  // A password holding / ? or #, which a URL parser takes for the start of a path.
  for (const secret of ["s3cr/t", "12/x", "p?w", "p#w"]) {
    const host = `nats://alice:${secret}@10.0.0.1:4222`;
    assert.equal(redactHost(host), "nats://***@10.0.0.1:4222", host);
    assert.equal(
      redactMessage(`Invalid URL: '${host.replace("nats:", "http:")}'`, [host]),
      "Invalid URL: 'http://***@10.0.0.1:4222'",
    );
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

/** What `run` has the YAML library print: its warnings go to `process.emitWarning`. */
function warningsOf(run: () => void): string[] {
  const printed: string[] = [];
  const { emitWarning } = process;
  const { warn } = console;
  process.emitWarning = (warning: string | Error) => {
    printed.push(String(warning));
  };
  console.warn = (...data: unknown[]) => printed.push(data.join(" "));
  try {
    run();
  } finally {
    process.emitWarning = emitWarning;
    console.warn = warn;
  }
  return printed;
}

Deno.test("parseYamlRedacted() refuses a value starting with a YAML indicator, never echoing it nor printing a warning", () => {
  const fail = (reason: string) => new Error(reason);
  for (
    const start of ["|", ">", "|2", "!", "!!", "&", "%", "@", "`", "'", '"']
  ) {
    for (
      const text of [
        `password: ${start}s3cr3tT0ken\n`,
        `nats:\n  password: ${start}s3cr3tT0ken\n`,
        `nats: { password: ${start}s3cr3tT0ken }\n`,
        `- ${start}s3cr3tT0ken\n`,
      ]
    ) {
      const printed = warningsOf(() =>
        assert.throws(
          () => parseYamlRedacted(text, fail),
          (err: Error) =>
            /at line \d+, column \d+/.test(err.message) &&
            !/s3cr3t|T0ken/.test(err.message),
          text,
        )
      );
      assert.deepEqual(printed, [], text);
    }
  }
});

Deno.test("parseYamlRedacted() refuses what YAML would change silently or warn about", () => {
  const fail = (reason: string) => new Error(reason);
  for (
    const text of [
      "password: !!binary s3cr3tT0ken\n", // decoded as base64
      "password: !!str s3cr3tT0ken\n",
      "password: &s3cr3tT0ken more\n", // an anchor nothing uses
      "%s3cr3tT0ken\n---\npassword: x\n", // an unknown directive
      "headers: !s3cr3tT0ken { a: b }\n",
    ]
  ) {
    const printed = warningsOf(() =>
      assert.throws(
        () => parseYamlRedacted(text, fail),
        (err: Error) => !/s3cr3t|T0ken/.test(err.message),
        text,
      )
    );
    assert.deepEqual(printed, [], text);
  }
  // Anchors and aliases still work together.
  assert.deepEqual(parseYamlRedacted("a: &h { x: 1 }\nb: *h\n", fail), {
    a: { x: 1 },
    b: { x: 1 },
  });
});
