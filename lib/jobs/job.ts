/**
 * Jobs: the `HttpJob` constructor and the validation every side applies.
 *
 * @module
 */

import { parseDuration } from "../spec/duration.ts";
import { InvalidJobError, InvalidSpecError } from "../errors.ts";
import type { Spec, SpecOptions } from "../spec/spec.ts";
import type { HttpMethod, HttpOption, Job } from "../types.ts";

const MODE = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;
const METHODS: readonly HttpMethod[] = [
  "GET",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "HEAD",
  "OPTIONS",
];
const HTTP_FIELDS = new Set(["url", "method", "headers", "body", "timeout"]);

/**
 * Builds an `HTTP` job: the worker calls `option.url` each time `spec` fires.
 *
 * @param spec When: a cron spec, descriptor or `@every` duration.
 * @param option What to call.
 * @param tz The zone `spec` is read in (or use a `CRON_TZ=` prefix).
 * @throws {InvalidJobError} When the option is not valid.
 *
 * @example
 * ```ts
 * import { HttpJob } from "@x/schedule";
 * const job = HttpJob("@every 15s", { url: "https://api.example.com/hook", body: { a: 1 } });
 * ```
 *
 * @example A job that fires a wall time skipped by DST at the jump, and a repeated one once
 * ```ts
 * import { HttpJob } from "@x/schedule";
 * const job = {
 *   ...HttpJob("0 30 2 * * *", { url: "https://api.example.com/hook" }, "America/New_York"),
 *   dst: "once" as const,
 * };
 * ```
 */
export function HttpJob(
  spec: string,
  option: HttpOption,
  tz?: string,
): Job<HttpOption> {
  validateHttpOption(option);
  return tz === undefined
    ? { mode: "HTTP", spec, option }
    : { mode: "HTTP", spec, tz, option };
}

/**
 * Checks an {@link HttpOption}: an absolute http(s) URL, a known method, valid headers,
 * a positive timeout, and no unknown fields.
 *
 * @throws {InvalidJobError} When something is off; the message says what.
 *
 * @example
 * ```ts
 * import { validateHttpOption } from "./job.ts";
 * validateHttpOption({ url: "https://example.com", method: "GET" }); // ok
 * ```
 */
export function validateHttpOption(option: HttpOption): void {
  if (!isRecord(option)) {
    throw new InvalidJobError("HTTP option: expected an object with a url");
  }
  for (const field of Object.keys(option)) {
    if (!HTTP_FIELDS.has(field)) {
      throw new InvalidJobError(
        `HTTP option: unknown field "${field}" (known: ${
          [...HTTP_FIELDS].join(", ")
        })`,
      );
    }
  }
  let url: URL;
  try {
    url = new URL(option.url);
  } catch {
    throw new InvalidJobError(
      // The value is not repeated: a URL can carry a token, and this message is logged.
      "HTTP option: url is not an absolute URL (such as https://api.example.com/hook)",
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InvalidJobError(
      `HTTP option: url must be http or https, not ${url.protocol}`,
    );
  }
  if (option.method !== undefined && !METHODS.includes(option.method)) {
    throw new InvalidJobError(
      `HTTP option: method ${JSON.stringify(option.method)} is not one of ${
        METHODS.join(", ")
      }`,
    );
  }
  if (option.headers !== undefined) {
    if (!isRecord(option.headers)) {
      throw new InvalidJobError(
        "HTTP option: headers must be an object of strings",
      );
    }
    for (const [name, value] of Object.entries(option.headers)) {
      try {
        if (typeof value !== "string") throw new TypeError();
        new Headers([[name, value]]);
      } catch {
        throw new InvalidJobError(
          `HTTP option: header "${name}" has an invalid name or value`,
        );
      }
    }
  }
  if (option.timeout !== undefined) {
    let ms = NaN;
    try {
      ms = parseDuration(option.timeout);
    } catch { /* reported below */ }
    if (!(ms > 0)) {
      throw new InvalidJobError(
        `HTTP option: timeout ${
          JSON.stringify(option.timeout)
        } must be a positive Go duration`,
      );
    }
  }
}

/**
 * Checks a job (mode, spec, zone, and the option of a known mode) and returns its
 * compiled spec. `compile` is where specs come from: a `SpecCache`'s `get`, or
 * `parseSpec`.
 *
 * @throws {InvalidJobError} When the mode or option is not valid.
 * @throws {InvalidSpecError} When the spec does not parse.
 * @throws {InvalidTimeZoneError} When the zone is unknown.
 *
 * @example
 * ```ts
 * import { HttpJob, validateJob } from "./job.ts";
 * import { parseSpec } from "../spec/spec.ts";
 * const spec = validateJob(HttpJob("@hourly", { url: "https://example.com" }), parseSpec);
 * ```
 */
export function validateJob(
  job: Job,
  compile: (
    source: string,
    timeZone?: string,
    options?: SpecOptions,
  ) => Spec,
): Spec {
  if (!isRecord(job)) {
    throw new InvalidJobError(
      "a job must be an object with mode, spec, option",
    );
  }
  if (typeof job.mode !== "string" || !MODE.test(job.mode)) {
    throw new InvalidJobError(
      `job mode ${
        JSON.stringify(job.mode)
      }: use a letter then up to 31 letters, digits, _ or -`,
    );
  }
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
  if (job.mode === "HTTP") validateHttpOption(job.option as HttpOption);
  return job.dst === undefined
    ? compile(job.spec, job.tz)
    : compile(job.spec, job.tz, { dst: job.dst });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
