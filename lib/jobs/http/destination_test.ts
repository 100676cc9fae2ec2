import assert from "node:assert/strict";
import { hostAllowed, refusal } from "./destination.ts";

const url = (text: string) => new URL(text);

Deno.test("refusal() refuses link-local and metadata addresses by default", async () => {
  assert.match(
    (await refusal(url("http://169.254.169.254/latest/meta-data"), {}))!,
    /169\.254\.169\.254 is in a blocked network/,
  );
  assert.match(
    (await refusal(url("http://[fe80::1]:8080/"), {}))!,
    /fe80::1 is in a blocked network \(fe80::\/10\)/,
  );
  assert.match(
    (await refusal(url("http://[::ffff:169.254.169.254]/"), {}))!,
    /blocked network/,
  );
  for (
    const name of [
      "metadata.google.internal",
      "metadata.google.internal.",
      "metadata.",
    ]
  ) {
    assert.match(
      (await refusal(url(`http://${name}/`), {}, () => Promise.resolve([])))!,
      /cloud metadata service/,
      name,
    );
  }
  assert.equal(await refusal(url("http://127.0.0.1:9000/hook"), {}), null);
});

Deno.test("refusal() checks the resolved addresses, not only the name", async () => {
  const resolve = (host: string) =>
    Promise.resolve(host === "inside.example" ? ["169.254.169.254"] : []);
  assert.match(
    (await refusal(url("https://inside.example/"), {}, resolve))!,
    /169\.254\.169\.254 is in a blocked network/,
  );
  // The system resolver, with loopback standing in for a blocked network.
  assert.match(
    (await refusal(url("http://localhost:9000/"), {
      blockedNetworks: ["127.0.0.0/8", "::1/128"],
    }))!,
    /is in a blocked network/,
  );
});

Deno.test("refusal() lets the worker allow a blocked network or metadata host explicitly", async () => {
  assert.equal(
    await refusal(url("http://169.254.169.254/"), {
      allowNetworks: ["169.254.169.254/32"],
    }),
    null,
  );
  assert.equal(
    await refusal(url("http://metadata.google.internal/"), {
      allowHosts: ["metadata.google.internal"],
    }, () => Promise.resolve(["10.1.2.3"])),
    null,
  );
});

Deno.test("refusal() applies the allow list of host names", async () => {
  const rules = { allowHosts: ["*.example.com", "127.0.0.1"] };
  assert.equal(await refusal(url("http://127.0.0.1:1/"), rules), null);
  assert.equal(
    await refusal(url("https://evil.test/"), rules),
    "host evil.test is not in the worker's allow list",
  );
});

Deno.test("hostAllowed() exact names and *.domain subdomains, in any case", () => {
  const allow = ["api.example.com", "*.internal.example"];
  assert.equal(hostAllowed("api.example.com", allow), true);
  assert.equal(hostAllowed("API.Example.COM", allow), true);
  assert.equal(hostAllowed("other.example.com", allow), false);
  assert.equal(hostAllowed("a.internal.example", allow), true);
  assert.equal(hostAllowed("a.b.INTERNAL.example", allow), true);
  assert.equal(hostAllowed("internal.example", allow), false);
  assert.equal(hostAllowed("evilinternal.example", allow), false);
  assert.equal(hostAllowed("api.example.com", []), false);
});
