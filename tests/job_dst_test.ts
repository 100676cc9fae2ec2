import assert from "node:assert/strict";
import { HttpJob, InvalidJobError } from "../mod.ts";
import { validateJob } from "../lib/jobs/job.ts";
import { SpecCache } from "../lib/spec/cache.ts";
import { encodeDefinition } from "../lib/wire/definition.ts";

const job = HttpJob(
  "0 30 2 * * *",
  { url: "https://example.com" },
  "America/New_York",
);
const from = Date.parse("2026-03-08T00:00:00Z");
const anchor = new Date(from);

Deno.test("encodeDefinition() compiles each job with its dst rule", () => {
  const specs = new SpecCache();
  const compile = specs.get.bind(specs);
  const { specs: [once, exact, unset] } = encodeDefinition({
    jobs: [{ ...job, dst: "once" }, { ...job, dst: "exact" }, job],
    anchor,
    paused: false,
  }, compile);
  assert.equal(
    new Date(once.next(from)!).toISOString(),
    "2026-03-08T07:00:00.000Z",
  );
  assert.equal(
    new Date(exact.next(from)!).toISOString(),
    "2026-03-09T06:30:00.000Z",
  );
  assert.equal(unset, exact);
});

Deno.test("validateJob() refuses a dst other than exact or once", () => {
  assert.throws(
    // @ts-expect-error: a value from JSON
    () => validateJob({ ...job, dst: "twice" }),
    InvalidJobError,
  );
});
