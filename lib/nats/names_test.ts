import assert from "node:assert/strict";
import { NamespaceNames, validateKey, validateNamespace } from "./names.ts";
import { InvalidKeyError, InvalidNamespaceError } from "../errors.ts";

Deno.test("NamespaceNames names the bucket, streams, subjects and consumer of a namespace", () => {
  const names = new NamespaceNames("beta");
  assert.equal(names.namespace, "beta");
  assert.equal(names.bucket, "schedule-beta");
  assert.equal(names.jobStream, "schedule-beta-jobs");
  assert.equal(names.jobSubjects, "schedule.beta.jobs.>");
  assert.equal(names.jobSubject("a.b", 2), "schedule.beta.jobs.a.b.2");
  assert.equal(names.runStream, "schedule-beta-runs");
  assert.equal(names.runSubjects, "schedule.beta.runs.>");
  assert.equal(names.runSubject("a.b", 2), "schedule.beta.runs.a.b.2");
  assert.equal(names.runSubjectsOf("a.b"), "schedule.beta.runs.a.b.*");
  assert.equal(names.workerConsumer, "workers");
  assert.equal(names.statusSubject, "schedule.beta.status");
});

Deno.test("NamespaceNames rejects an invalid namespace", () => {
  assert.throws(() => new NamespaceNames("a.b"), InvalidNamespaceError);
});

Deno.test("NamespaceNames.eventSubject() names an event with or without a key", () => {
  const names = new NamespaceNames("beta");
  assert.equal(
    names.eventSubject("failed", "a.b"),
    "schedule.beta.events.failed.a.b",
  );
  assert.equal(
    names.eventSubject("node-joined"),
    "schedule.beta.events.node-joined",
  );
  assert.equal(names.eventSubjects, "schedule.beta.events.>");
});

Deno.test("NamespaceNames.tickId() is the same for the same tick, and differs otherwise", () => {
  const names = new NamespaceNames("beta");
  assert.equal(names.tickId("test", 0, 1000), "beta.test.0.1000");
  assert.equal(
    new NamespaceNames("beta").tickId("test", 0, 1000),
    names.tickId("test", 0, 1000),
  );
  const ids = new Set([
    names.tickId("test", 0, 1000),
    names.tickId("test", 1, 1000),
    names.tickId("test", 0, 2000),
    names.tickId("other", 0, 1000),
    new NamespaceNames("gamma").tickId("test", 0, 1000),
  ]);
  assert.equal(ids.size, 5);
});

Deno.test("validateNamespace() accepts 1 to 64 letters, digits, _ and -", () => {
  for (const namespace of ["a", "beta", "A_b-9", "x".repeat(64)]) {
    validateNamespace(namespace);
  }
});

Deno.test("validateNamespace() rejects anything else", () => {
  for (const namespace of ["", "a.b", "a b", "a*", "x".repeat(65), 5]) {
    assert.throws(
      () => validateNamespace(namespace as string),
      InvalidNamespaceError,
      String(namespace),
    );
  }
});

Deno.test("validateKey() accepts NATS KV keys", () => {
  for (const key of ["a", "billing.nightly", "a/b=c_d-e", "x".repeat(200)]) {
    validateKey(key);
  }
});

Deno.test("validateKey() rejects a bad character, a bad dot, or a bad length", () => {
  for (
    const key of ["", "a b", "a*", "a>", ".a", "a.", "a..b", "x".repeat(201), 5]
  ) {
    assert.throws(
      () => validateKey(key as string),
      InvalidKeyError,
      String(key),
    );
  }
});
