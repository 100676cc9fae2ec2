import assert from "node:assert/strict";
import { HttpJob, InvalidJobError } from "../mod.ts";
import { validateJob } from "../lib/jobs/job.ts";
import { SpecCache } from "../lib/spec/cache.ts";

const job = HttpJob(
  "0 30 2 * * *",
  { url: "https://example.com" },
  "America/New_York",
);
const from = Date.parse("2026-03-08T00:00:00Z");

Deno.test("a job's dst reaches its compiled spec", () => {
  const specs = new SpecCache();
  const compile = specs.get.bind(specs);
  const once = validateJob({ ...job, dst: "once" }, compile);
  const exact = validateJob({ ...job, dst: "exact" }, compile);
  assert.equal(
    new Date(once.next(from)!).toISOString(),
    "2026-03-08T07:00:00.000Z",
  );
  assert.equal(
    new Date(exact.next(from)!).toISOString(),
    "2026-03-09T06:30:00.000Z",
  );
  assert.equal(validateJob(job, compile), exact);
});

Deno.test("a job's dst must be exact or once", () => {
  const specs = new SpecCache();
  assert.throws(
    // @ts-expect-error: a value from JSON
    () => validateJob({ ...job, dst: "twice" }, specs.get.bind(specs)),
    InvalidJobError,
  );
});
