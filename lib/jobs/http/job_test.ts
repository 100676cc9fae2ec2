import assert from "node:assert/strict";
import { HttpJob } from "./job.ts";
import { InvalidJobError } from "../../errors.ts";

const BAD_OPTIONS: [string, unknown, RegExp][] = [
  ["no url", {}, /url/],
  [
    "a relative url",
    { url: "/hook?token=s3cr3t" },
    /^(?!.*s3cr3t).*not an absolute URL/,
  ],
  ["a ftp url", { url: "ftp://example.com" }, /http or https/],
  ["a bad method", { url: "https://a.example", method: "FETCH" }, /method/],
  [
    "a lowercase method",
    { url: "https://a.example", method: "post" },
    /method/,
  ],
  ["bad headers", { url: "https://a.example", headers: ["x"] }, /headers/],
  [
    "a bad header name",
    { url: "https://a.example", headers: { "a b": "c" } },
    /"a b"/,
  ],
  [
    "a non-string header",
    { url: "https://a.example", headers: { a: 1 } },
    /"a"/,
  ],
  ["a bad timeout", { url: "https://a.example", timeout: "soon" }, /timeout/],
  ["a zero timeout", { url: "https://a.example", timeout: "0s" }, /timeout/],
  ...["600h", "24h0m0.001s", "99999999999999999999999h", "1ns", "999us", "-1s"]
    .map((timeout): [string, unknown, RegExp] => [
      `a ${timeout} timeout`,
      { url: "https://a.example", timeout },
      /between 1ms and 24h/,
    ]),
  [
    "a GET with a body",
    { url: "https://a.example", method: "GET", body: { a: 1 } },
    /a GET request has no body/,
  ],
  [
    "a HEAD with a body",
    { url: "https://a.example", method: "HEAD", body: "x" },
    /a HEAD request has no body/,
  ],
  ["an unknown field", { url: "https://a.example", retries: 3 }, /"retries"/],
];

for (const [what, option, message] of BAD_OPTIONS) {
  Deno.test(`HttpJob() rejects an option with ${what}`, () => {
    assert.throws(
      () => HttpJob("@hourly", option as never),
      (err: Error) =>
        err instanceof InvalidJobError && message.test(err.message),
    );
  });
}

Deno.test("HttpJob() builds an HTTP job, with its zone only when given", () => {
  const option = { url: "https://a.example/hook", method: "GET" as const };
  assert.deepEqual(HttpJob("@hourly", option), {
    mode: "HTTP",
    spec: "@hourly",
    option,
  });
  assert.deepEqual(HttpJob("@hourly", option, "Asia/Tokyo"), {
    mode: "HTTP",
    spec: "@hourly",
    tz: "Asia/Tokyo",
    option,
  });
});

Deno.test("HttpJob() takes timeouts from 1ms to 24h", () => {
  for (const timeout of ["1ms", "24h", "30s"]) {
    HttpJob("@hourly", { url: "https://a.example", timeout });
  }
});
