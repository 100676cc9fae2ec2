/**
 * Run policies: how a job's ticks are governed (overlap, catch-up, jitter, window, run
 * limit, retries, pausing after failures). Checked here, on the way into NATS and out of
 * it, so every node and worker reads the same policy.
 *
 * @module
 */

import { isRecord, timeOf } from "../_util.ts";
import { InvalidJobError } from "../errors.ts";
import { parseDuration } from "../spec/duration.ts";
import type { JobPolicy } from "../types.ts";
import { refuseUnknownFields } from "./_util.ts";

const OVERLAP = ["allow", "skip", "buffer", "cancel"];
const CATCHUP = ["all", "latest", "none"];
const FIELDS = new Set([
  "overlap",
  "catchup",
  "catchupWindow",
  "jitter",
  "start",
  "end",
  "maxRuns",
  "retry",
  "pauseAfterFailures",
]);
const RETRY_FIELDS = new Set(["maxAttempts", "delay", "maxDelay"]);
const DAY = 24 * 3600_000;

/** The longest `catchupWindow`: the job stream keeps ticks for 24 h by default. */
export const MAX_CATCHUP_WINDOW = DAY;
/** The longest `jitter`. */
export const MAX_JITTER = 3600_000;
/** The most tries a retry policy may ask for. */
export const MAX_ATTEMPTS = 100;

/**
 * Checks a job's policy: known fields, known values, durations within their limits,
 * `start` before `end`, whole positive counts.
 *
 * @throws {InvalidJobError} Naming the field and the limit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validatePolicy } from "./policy.ts";
 * validatePolicy({ overlap: "skip", jitter: "30s", maxRuns: 100 });
 * assert.throws(() => validatePolicy({ maxRuns: 0 }), /maxRuns/);
 * ```
 */
export function validatePolicy(policy: JobPolicy): void {
  if (!isRecord(policy)) {
    throw new InvalidJobError("policy: expected an object");
  }
  refuseUnknownFields("policy", policy, FIELDS);
  oneOf("overlap", policy.overlap, OVERLAP);
  oneOf("catchup", policy.catchup, CATCHUP);
  duration("catchupWindow", policy.catchupWindow, 0, MAX_CATCHUP_WINDOW);
  duration("jitter", policy.jitter, 0, MAX_JITTER);
  const start = instant("start", policy.start);
  const end = instant("end", policy.end);
  if (start !== undefined && end !== undefined && start >= end) {
    throw new InvalidJobError("policy: start must be before end");
  }
  count("maxRuns", policy.maxRuns, Number.MAX_SAFE_INTEGER);
  count("pauseAfterFailures", policy.pauseAfterFailures, 1_000_000);
  if (policy.retry !== undefined) {
    if (!isRecord(policy.retry)) {
      throw new InvalidJobError("policy: retry must be an object");
    }
    refuseUnknownFields("policy.retry", policy.retry, RETRY_FIELDS);
    count("retry.maxAttempts", policy.retry.maxAttempts, MAX_ATTEMPTS);
    duration("retry.delay", policy.retry.delay, 1, DAY);
    duration("retry.maxDelay", policy.retry.maxDelay, 1, DAY);
  }
}

/**
 * A policy as stored: times as ISO 8601 strings, fields left out when not set.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { storedPolicy } from "./policy.ts";
 * assert.deepEqual(storedPolicy({ start: new Date("2027-01-01T00:00:00Z") }), {
 *   start: "2027-01-01T00:00:00.000Z",
 * });
 * ```
 */
export function storedPolicy(policy: JobPolicy): JobPolicy {
  const stored: JobPolicy = { ...policy };
  for (const field of ["start", "end"] as const) {
    const value = stored[field];
    if (value !== undefined) {
      stored[field] = new Date(timeOf(value)).toISOString();
    }
  }
  return stored;
}

function oneOf(field: string, value: unknown, allowed: string[]): void {
  if (value !== undefined && !allowed.includes(value as string)) {
    throw new InvalidJobError(
      `policy: ${field} must be one of ${allowed.join(", ")}, not ${
        JSON.stringify(value)
      }`,
    );
  }
}

function duration(field: string, value: unknown, min: number, max: number) {
  if (value === undefined) return;
  let ms = NaN;
  try {
    ms = typeof value === "string" ? parseDuration(value) : NaN;
  } catch { /* reported below */ }
  if (!(ms >= min && ms <= max)) {
    throw new InvalidJobError(
      `policy: ${field} must be a Go duration from ${
        min === 0 ? "0s" : "1ms"
      } ` +
        `to ${max / 3600_000}h, not ${JSON.stringify(value)}`,
    );
  }
}

function instant(field: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const time = timeOf(value);
  if (isNaN(time)) {
    throw new InvalidJobError(
      `policy: ${field} must be a date or an ISO 8601 time`,
    );
  }
  return time;
}

function count(field: string, value: unknown, max: number): void {
  if (value === undefined) return;
  if (
    !Number.isInteger(value) || (value as number) < 1 || (value as number) > max
  ) {
    throw new InvalidJobError(
      `policy: ${field} must be a whole number from 1 to ${max}`,
    );
  }
}
