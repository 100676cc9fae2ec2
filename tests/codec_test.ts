import assert from "node:assert/strict";
import {
  decodeDefinition,
  decodeTick,
  encodeDefinition,
  encodeTick,
} from "../lib/wire/mod.ts";
import { HttpJob } from "../lib/jobs/http/job.ts";
import {
  CodecError,
  InvalidJobError,
  InvalidKeyError,
  InvalidSpecError,
  InvalidTimeZoneError,
} from "../lib/errors.ts";
import type { Job, Tick } from "../lib/types.ts";

const bytes = (value: unknown) =>
  new TextEncoder().encode(JSON.stringify(value));
const job = HttpJob("@every 15s", {
  url: "https://api.example.com/hook",
  method: "POST",
  headers: { "x-token": "abc" },
  body: { name: "demo" },
});

Deno.test("a definition round-trips", () => {
  const definition = {
    jobs: [
      job,
      HttpJob(
        "0 0 9 * * *",
        { url: "http://localhost:8080/x" },
        "Europe/Paris",
      ),
    ],
    anchor: new Date("2024-01-01T00:00:00Z"),
    paused: true,
  };
  const decoded = decodeDefinition(encodeDefinition(definition).bytes);
  assert.deepEqual(decoded.definition, definition);
  assert.equal(decoded.specs[1].timeZone, "Europe/Paris");
});

Deno.test("the definition wire format is versioned JSON", () => {
  const wire = JSON.parse(new TextDecoder().decode(
    encodeDefinition({
      jobs: [job],
      anchor: new Date("2024-01-01T00:00:00Z"),
      paused: false,
    }).bytes,
  ));
  assert.deepEqual(wire, {
    version: 1,
    jobs: [job],
    anchor: "2024-01-01T00:00:00.000Z",
    paused: false,
  });
});

Deno.test("a job message round-trips and has the documented fields", () => {
  const message: Tick = {
    namespace: "beta",
    key: "test",
    index: 0,
    ...job,
    scheduledAt: new Date("2024-01-01T00:00:15Z"),
  };
  const encoded = encodeTick(message);
  assert.deepEqual(decodeTick(encoded), message);
  assert.deepEqual(Object.keys(JSON.parse(new TextDecoder().decode(encoded))), [
    "version",
    "namespace",
    "key",
    "index",
    "mode",
    "spec",
    "option",
    "scheduledAt",
  ]);
});

Deno.test("other modes carry any JSON option", () => {
  const custom: Job = {
    mode: "shell",
    spec: "@hourly",
    option: { cmd: ["echo", "hi"] },
  };
  const anchor = new Date("2024-01-01T00:00:00Z");
  assert.deepEqual(
    decodeDefinition(
      encodeDefinition({ jobs: [custom], anchor, paused: false }).bytes,
    ).definition.jobs,
    [custom],
  );
});

const good = {
  version: 1,
  jobs: [job],
  anchor: "2024-01-01T00:00:00Z",
  paused: false,
};
const BAD_DEFINITIONS: [
  string,
  Uint8Array,
  ErrorConstructor | typeof CodecError,
  RegExp,
][] = [
  ["not JSON", new TextEncoder().encode("{nope"), CodecError, /not JSON/],
  ["an array", bytes([1]), CodecError, /object/],
  ["a future version", bytes({ ...good, version: 2 }), CodecError, /version 2/],
  [
    "no version",
    bytes({ ...good, version: undefined }),
    CodecError,
    /version undefined/,
  ],
  [
    "a bad anchor",
    bytes({ ...good, anchor: "yesterday" }),
    CodecError,
    /anchor/,
  ],
  ["no paused flag", bytes({ ...good, paused: "no" }), CodecError, /paused/],
  [
    "no jobs",
    bytes({ ...good, jobs: [] }),
    InvalidJobError,
    /at least one job/,
  ],
  [
    "a bad spec",
    bytes({ ...good, jobs: [{ ...job, spec: "nope" }] }),
    InvalidSpecError,
    /job 0/,
  ],
  [
    "a bad zone",
    bytes({ ...good, jobs: [{ ...job, tz: "X/Y" }] }),
    InvalidTimeZoneError,
    /X\/Y/,
  ],
  [
    "a bad mode",
    bytes({ ...good, jobs: [{ ...job, mode: "" }] }),
    InvalidJobError,
    /mode/,
  ],
];

for (const [what, input, type, message] of BAD_DEFINITIONS) {
  Deno.test(`a definition with ${what} is rejected`, () => {
    assert.throws(
      () => decodeDefinition(input),
      (err: Error) => err instanceof type && message.test(err.message),
    );
  });
}

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
  ["an unknown field", { url: "https://a.example", retries: 3 }, /"retries"/],
];

for (const [what, option, message] of BAD_OPTIONS) {
  Deno.test(`an HTTP option with ${what} is rejected`, () => {
    assert.throws(
      () => HttpJob("@hourly", option as never),
      (err: Error) =>
        err instanceof InvalidJobError && message.test(err.message),
    );
  });
}

Deno.test("a job message with a bad key, index or time is rejected", () => {
  const message = {
    version: 1,
    namespace: "beta",
    key: "test",
    index: 0,
    ...job,
    scheduledAt: "2024-01-01T00:00:00Z",
  };
  assert.throws(
    () => decodeTick(bytes({ ...message, key: ".bad" })),
    InvalidKeyError,
  );
  assert.throws(
    () => decodeTick(bytes({ ...message, index: -1 })),
    CodecError,
  );
  assert.throws(
    () => decodeTick(bytes({ ...message, scheduledAt: 5 })),
    CodecError,
  );
});
