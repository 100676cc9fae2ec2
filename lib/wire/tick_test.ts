import assert from "node:assert/strict";
import {
  decodeTick,
  encodeTick,
  jobTickJson,
  specTickAt,
  tickEncoder,
  tickJobFields,
} from "./tick.ts";
import { HttpJob } from "../jobs/http/job.ts";
import {
  CodecError,
  InvalidKeyError,
  InvalidNamespaceError,
} from "../errors.ts";
import type { Tick } from "../types.ts";

const bytes = (value: unknown) =>
  new TextEncoder().encode(JSON.stringify(value));
const job = HttpJob("@every 15s", {
  url: "https://api.example.com/hook",
  method: "POST",
  headers: { "x-token": "abc" },
  body: { name: "demo" },
});

Deno.test("decodeTick() reads what encodeTick() writes: the documented fields", () => {
  const tick: Tick = {
    namespace: "beta",
    key: "test",
    index: 0,
    ...job,
    scheduledAt: new Date("2024-01-01T00:00:15Z"),
  };
  const encoded = encodeTick(tick);
  assert.deepEqual(decodeTick(encoded), tick);
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

const stored = {
  version: 1,
  namespace: "beta",
  key: "test",
  index: 0,
  ...job,
  scheduledAt: "2024-01-01T00:00:00Z",
};

Deno.test("decodeTick() rejects a bad key", () => {
  assert.throws(
    () => decodeTick(bytes({ ...stored, key: ".bad" })),
    InvalidKeyError,
  );
});

Deno.test("decodeTick() rejects a bad index", () => {
  assert.throws(
    () => decodeTick(bytes({ ...stored, index: -1 })),
    CodecError,
  );
});

Deno.test("decodeTick() rejects a key or an index that is an object, typed (they threw a TypeError)", () => {
  const object = { toString: 1 };
  assert.throws(
    () => decodeTick(bytes({ ...stored, key: object })),
    InvalidKeyError,
  );
  assert.throws(
    () => decodeTick(bytes({ ...stored, index: object })),
    CodecError,
  );
});

Deno.test("decodeTick() rejects a bad time", () => {
  assert.throws(
    () => decodeTick(bytes({ ...stored, scheduledAt: 5 })),
    CodecError,
  );
});

Deno.test("decodeTick() rejects a trigger that is not one (a worker would copy it into its run record)", () => {
  for (const trigger of [5, "cron", null]) {
    assert.throws(
      () => decodeTick(bytes({ ...stored, trigger })),
      (err: Error) => err instanceof CodecError && /trigger/.test(err.message),
    );
  }
  assert.equal(
    decodeTick(bytes({ ...stored, trigger: "manual" })).trigger,
    "manual",
  );
});

Deno.test("decodeTick() rejects a namespace that cannot name streams", () => {
  assert.throws(
    () => decodeTick(bytes({ ...stored, namespace: "a b" })),
    InvalidNamespaceError,
  );
});

Deno.test("encodeTick() rejects a tick with a bad index", () => {
  assert.throws(
    () =>
      encodeTick({
        namespace: "beta",
        key: "test",
        index: 1.5,
        ...job,
        scheduledAt: new Date(),
      }),
    /index 1.5 is not a job position/,
  );
});

Deno.test("tickEncoder() writes the bytes encodeTick() writes, with or without a zone", () => {
  for (const tz of [undefined, "Europe/Paris"]) {
    const tick: Tick = {
      namespace: "beta",
      key: "test",
      index: 2,
      ...job,
      ...(tz === undefined ? {} : { tz }),
      scheduledAt: new Date("2024-01-01T00:00:15Z"),
    };
    const encode = tickEncoder(tick);
    assert.deepEqual(encode(tick.scheduledAt), encodeTick(tick));
    const later = new Date("2024-01-01T00:00:30Z");
    assert.deepEqual(decodeTick(encode(later)), {
      ...tick,
      scheduledAt: later,
    });
  }
});

Deno.test("jobTickJson() writes what JSON.stringify writes of the whole tick", () => {
  const head = { namespace: "beta", key: 'a "quoted" key', index: 3 };
  const policy = { jitter: "2s", overlap: "skip" as const };
  const scheduledAt = new Date("2024-01-01T00:00:15Z");
  const firesAt = new Date("2024-01-01T00:00:16.5Z");
  for (
    const [extra, fired] of [
      [{}, undefined],
      [{ tz: "Europe/Paris", policy, revision: 7 }, firesAt],
      [{ revision: 2, trigger: "manual" as const }, undefined],
    ] as const
  ) {
    const tick: Omit<Tick, "scheduledAt"> = { ...head, ...job, ...extra };
    const whole = JSON.stringify({
      version: 1,
      ...head,
      mode: tick.mode,
      spec: tick.spec,
      tz: tick.tz,
      option: tick.option,
      policy: tick.policy,
      revision: tick.revision,
      trigger: tick.trigger,
      scheduledAt,
      firesAt: fired,
    });
    const fields = tickJobFields(tick);
    assert.equal(jobTickJson(tick, fields, scheduledAt, fired), whole);
  }
});

Deno.test("a tick carries its definition's revision; one without it is still read", () => {
  const tick: Tick = {
    namespace: "beta",
    key: "test",
    index: 0,
    ...job,
    revision: 7,
    scheduledAt: new Date("2024-01-01T00:00:15Z"),
  };
  assert.equal(decodeTick(tickEncoder(tick)(tick.scheduledAt)).revision, 7);
  const { revision: _, ...old } = tick;
  assert.equal(decodeTick(encodeTick(old)).revision, undefined);
  assert.throws(
    () => encodeTick({ ...tick, revision: 0 }),
    /tick revision: expected a positive integer/,
  );
});

Deno.test("a tick carries its job's policy and its trigger", () => {
  const tick: Tick = {
    namespace: "beta",
    key: "test",
    index: 0,
    ...job,
    policy: { overlap: "skip", retry: { maxAttempts: 1 } },
    trigger: "manual",
    scheduledAt: new Date("2024-01-01T00:00:15Z"),
  };
  assert.deepEqual(decodeTick(tickEncoder(tick)(tick.scheduledAt)), tick);
});

Deno.test("a jittered tick carries when it fired; one without jitter does not", () => {
  const tick: Tick = {
    namespace: "beta",
    key: "test",
    index: 0,
    ...job,
    scheduledAt: new Date("2024-01-01T00:00:15Z"),
  };
  const firesAt = new Date("2024-01-01T00:00:27.123Z");
  assert.deepEqual(
    decodeTick(encodeTick({ ...tick, firesAt })).firesAt,
    firesAt,
  );
  assert.equal("firesAt" in decodeTick(encodeTick(tick)), false);
  assert.throws(
    () =>
      decodeTick(
        new TextEncoder().encode(
          JSON.stringify({ version: 1, ...tick, firesAt: "soon" }),
        ),
      ),
    /tick firesAt/,
  );
});

Deno.test("specTickAt() reads the time of a tick of the spec, null for a manual or backfilled one", () => {
  const scheduledAt = new Date("2024-01-01T00:00:15Z");
  const tick: Tick = {
    namespace: "beta",
    key: "test",
    index: 0,
    ...HttpJob("@every 15s", {
      url: "https://api.example.com/hook",
      headers: { trigger: "manual" },
    }),
    revision: 3,
    scheduledAt,
  };
  const at = (fields: Partial<Tick>, firesAt?: Date) =>
    specTickAt(tickEncoder({ ...tick, ...fields })(scheduledAt, firesAt));
  assert.equal(at({}), scheduledAt.getTime(), "a header named trigger");
  assert.equal(at({ trigger: "schedule" }), scheduledAt.getTime());
  assert.equal(at({}, new Date("2024-01-01T00:00:16Z")), scheduledAt.getTime());
  assert.equal(at({ trigger: "manual" }), null);
  assert.equal(at({ trigger: "backfill" }), null);
  assert.equal(at({ trigger: "backfill", revision: undefined }), null);
  assert.throws(
    () => specTickAt(bytes({ version: 1, scheduledAt: "soon" })),
    CodecError,
  );
});
