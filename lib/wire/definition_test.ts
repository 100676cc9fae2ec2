import assert from "node:assert/strict";
import {
  decodeDefinition,
  definedRevision,
  encodeDefinition,
  storedRevision,
} from "./definition.ts";
import { HttpJob } from "../jobs/http/job.ts";
import {
  CodecError,
  InvalidJobError,
  InvalidSpecError,
  InvalidTimeZoneError,
} from "../errors.ts";
import type { Job } from "../types.ts";

const bytes = (value: unknown) =>
  new TextEncoder().encode(JSON.stringify(value));
const job = HttpJob("@every 15s", {
  url: "https://api.example.com/hook",
  method: "POST",
  headers: { "x-token": "abc" },
  body: { name: "demo" },
});

Deno.test("decodeDefinition() reads what encodeDefinition() writes, compiling the specs in their zone", () => {
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

Deno.test("encodeDefinition() writes versioned JSON", () => {
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

Deno.test("decodeDefinition() keeps the JSON option of a mode other than HTTP", () => {
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
    "a pause note whose time is not one (describe crashed on it)",
    bytes({ ...good, paused: true, pause: { at: "yesterday", by: "ops" } }),
    CodecError,
    /pause must be a note/,
  ],
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
  Deno.test(`decodeDefinition() rejects a definition with ${what}`, () => {
    assert.throws(
      () => decodeDefinition(input),
      (err: Error) => err instanceof type && message.test(err.message),
    );
  });
}

Deno.test("a paused definition keeps the revision of its set; set leaves it out", () => {
  const set = { jobs: [job], anchor: new Date(0), paused: false };
  const bytesOfSet = encodeDefinition(set).bytes;
  assert.equal(decodeDefinition(bytesOfSet).definition.revision, undefined);
  assert.equal(storedRevision(bytesOfSet, 5), 5);
  const paused = { ...set, paused: true, revision: definedRevision(set, 5) };
  const bytesOfPause = encodeDefinition(paused).bytes;
  assert.equal(decodeDefinition(bytesOfPause).definition.revision, 5);
  assert.equal(storedRevision(bytesOfPause, 6), 5);
  assert.throws(
    () => decodeDefinition(bytes({ version: 1, ...set, revision: -1 })),
    /definition revision: expected a positive integer/,
  );
});

Deno.test("a pause note and who wrote the revision are kept; a malformed note is refused", () => {
  const definition = {
    jobs: [job],
    anchor: new Date("2024-01-01T00:00:00Z"),
    paused: true,
    revision: 3,
    pause: { note: "vendor outage", at: "2027-01-01T00:00:00.000Z", by: "ops" },
    by: "ops",
  };
  assert.deepEqual(
    decodeDefinition(encodeDefinition(definition).bytes).definition,
    definition,
  );
  assert.throws(
    () =>
      decodeDefinition(bytes({
        version: 1,
        jobs: [job],
        anchor: "2024-01-01T00:00:00.000Z",
        paused: true,
        pause: { note: 5 },
      })),
    /pause must be a note/,
  );
});
