import assert from "node:assert/strict";
import { checkJobFields, validateJob } from "./job.ts";
import { InvalidJobError, InvalidSpecError } from "../errors.ts";
import type { Job } from "../types.ts";

Deno.test("validateJob() accepts any JSON option of a mode other than HTTP", () => {
  validateJob({ mode: "shell", spec: "@hourly", option: { cmd: ["echo"] } });
  validateJob({ mode: "log_2-x", spec: "@hourly", tz: "UTC", option: null });
});

Deno.test("validateJob() rejects a job that is not an object", () => {
  for (const job of [null, [], "HTTP"]) {
    assert.throws(
      () => validateJob(job as unknown as Job),
      (err: Error) =>
        err instanceof InvalidJobError && /must be an object/.test(err.message),
    );
  }
});

Deno.test("validateJob() rejects a bad mode", () => {
  for (const mode of ["", "1x", "a b", "x".repeat(33), 5]) {
    assert.throws(
      () => validateJob({ mode, spec: "@hourly", option: {} } as Job),
      (err: Error) =>
        err instanceof InvalidJobError && /job mode/.test(err.message),
    );
  }
});

Deno.test("validateJob() rejects a spec that is not a string", () => {
  assert.throws(
    () => validateJob({ mode: "log", spec: 5, option: {} } as unknown as Job),
    InvalidSpecError,
  );
});

Deno.test("validateJob() rejects a zone that is not a string", () => {
  assert.throws(
    () =>
      validateJob(
        { mode: "log", spec: "@hourly", tz: 1, option: {} } as unknown as Job,
      ),
    (err: Error) => err instanceof InvalidJobError && /tz/.test(err.message),
  );
});

Deno.test("validateJob() checks the option of an HTTP job", () => {
  validateJob({
    mode: "HTTP",
    spec: "@hourly",
    option: { url: "https://a.example" },
  });
  assert.throws(
    () => validateJob({ mode: "HTTP", spec: "@hourly", option: { url: "/x" } }),
    (err: Error) =>
      err instanceof InvalidJobError && /HTTP option/.test(err.message),
  );
});

Deno.test("checkJobFields() refuses a field a job does not have", () => {
  checkJobFields({
    mode: "HTTP",
    spec: "@hourly",
    tz: "UTC",
    dst: "once",
    policy: {},
    option: {},
  });
  const typos: [string, unknown][] = [["timezone", "Europe/Paris"], [
    "polcy",
    {},
  ]];
  for (const [field, value] of typos) {
    assert.throws(
      () =>
        checkJobFields(
          { mode: "HTTP", spec: "@hourly", option: {}, [field]: value } as Job,
        ),
      (err: Error) =>
        err instanceof InvalidJobError &&
        err.message.includes(`unknown field "${field}"`),
    );
  }
});
