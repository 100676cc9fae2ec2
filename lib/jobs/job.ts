/**
 * The checks every job gets, whatever its mode, on the way into NATS and out of it.
 *
 * @module
 */

import { isRecord } from "../_util.ts";
import { InvalidJobError, InvalidSpecError } from "../errors.ts";
import type { HttpOption, Job } from "../types.ts";
import { maskHttpOption, validateHttpOption } from "./http/job.ts";
import { validatePolicy } from "./policy.ts";
import { refuseUnknownFields } from "./_util.ts";

const MODE = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;
/** The fields of a job (see `Job`). */
const FIELDS = new Set(["mode", "spec", "tz", "dst", "policy", "option"]);

/**
 * Checks a job's shape: its mode, that its spec and zone are strings, its `dst` rule, and
 * the option of a known mode. The spec itself is checked where it is compiled (see `Compile`).
 *
 * @throws {InvalidJobError} When the mode, zone or option is not valid.
 * @throws {InvalidSpecError} When the spec is not a string.
 *
 * @example
 * ```ts
 * import { validateJob } from "./job.ts";
 * validateJob({ mode: "log", spec: "@hourly", option: null }); // ok
 * ```
 */
export function validateJob(job: Job): void {
  if (!isRecord(job)) {
    throw new InvalidJobError(
      "a job must be an object with mode, spec, option",
    );
  }
  validateMode(job.mode);
  if (typeof job.spec !== "string") {
    throw new InvalidSpecError("a job's spec must be a string");
  }
  if (job.tz !== undefined && typeof job.tz !== "string") {
    throw new InvalidJobError(
      "a job's tz must be a string such as Europe/Paris",
    );
  }
  if (job.dst !== undefined && job.dst !== "exact" && job.dst !== "once") {
    throw new InvalidJobError(
      `a job's dst must be "exact" or "once", not ${JSON.stringify(job.dst)}`,
    );
  }
  if (job.policy !== undefined) validatePolicy(job.policy);
  if (job.mode === "HTTP") validateHttpOption(job.option as HttpOption);
}

/**
 * Refuses a field a job does not have, such as `timezone` for `tz` or a misspelt
 * `policy`: it would be stored and ignored. Checked for the jobs a `set` writes, not for
 * those read back, so that a definition stored before still runs (and a tick, a job with
 * fields of its own, still reads).
 *
 * @throws {InvalidJobError} Naming the field and the known ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkJobFields } from "./job.ts";
 * checkJobFields({ mode: "log", spec: "@hourly", tz: "UTC", option: null }); // ok
 * const typo = { mode: "log", spec: "@hourly", option: null, timezone: "UTC" };
 * assert.throws(() => checkJobFields(typo), /unknown field "timezone"/);
 * ```
 */
export function checkJobFields(job: Job): void {
  refuseUnknownFields("job", job, FIELDS);
}

/**
 * Checks a mode's name: a letter then up to 31 letters, digits, `_` or `-`.
 *
 * @throws {InvalidJobError} When it is not such a name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateMode } from "./job.ts";
 * validateMode("shell"); // ok
 * assert.throws(() => validateMode("a b"));
 * ```
 */
export function validateMode(mode: string): void {
  if (typeof mode !== "string" || !MODE.test(mode)) {
    throw new InvalidJobError(
      `job mode ${
        JSON.stringify(mode)
      }: use a letter then up to 31 letters, digits, _ or -`,
    );
  }
}

/**
 * The job with the secrets of its option (such as HTTP header values and URL credentials)
 * replaced by `***`, for printing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { maskJob } from "./job.ts";
 * const job = { mode: "HTTP", spec: "@hourly", option: { url: "https://a.example", headers: { a: "b" } } };
 * assert.deepEqual(maskJob(job).option, { url: "https://a.example", headers: { a: "***" } });
 * ```
 */
export function maskJob<J extends Job>(job: J): J {
  return job.mode === "HTTP"
    ? { ...job, option: maskHttpOption(job.option as HttpOption) }
    : job;
}
