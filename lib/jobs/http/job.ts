/**
 * The `HTTP` job: its constructor and the validation of its option.
 *
 * @module
 */

import { isRecord } from "../../_util.ts";
import { InvalidJobError } from "../../errors.ts";
import { parseDuration } from "../../spec/duration.ts";
import type {
  HttpJobOptions,
  HttpMethod,
  HttpOption,
  Job,
} from "../../types.ts";
import { storedPolicy, validatePolicy } from "../policy.ts";
import { validateSecretName } from "./secrets.ts";
import { refuseUnknownFields } from "../_util.ts";
import { redactUrlCredentials } from "../../ops/redact.ts";

const METHODS: readonly HttpMethod[] = [
  "GET",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "HEAD",
  "OPTIONS",
];
const HTTP_FIELDS = new Set([
  "url",
  "method",
  "headers",
  "secretHeaders",
  "body",
  "timeout",
]);

/**
 * Builds an `HTTP` job: the worker calls `option.url` each time `spec` fires.
 *
 * @param spec When: a cron spec, descriptor or `@every` duration.
 * @param option What to call.
 * @param options The zone `spec` is read in (a string, or `tz`; or use a `CRON_TZ=`
 * prefix), the `dst` rule, and the run policy (see {@link JobPolicy}).
 * @throws {InvalidJobError} When the option or the policy is not valid.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HttpJob } from "@x/schedule";
 * const job = HttpJob("@every 15s", { url: "https://api.example.com/hook", body: { a: 1 } });
 * assert.equal(job.mode, "HTTP");
 * ```
 *
 * @example With a zone and a run policy
 * ```ts
 * import assert from "node:assert/strict";
 * import { HttpJob } from "@x/schedule";
 * const job = HttpJob("0 0 * * * *", { url: "https://api.example.com/report" }, {
 *   tz: "Europe/Paris",
 *   overlap: "skip",
 *   catchup: "latest",
 *   jitter: "30s",
 *   end: new Date("2027-06-30T00:00:00Z"),
 * });
 * assert.equal(job.tz, "Europe/Paris");
 * assert.deepEqual(job.policy, {
 *   overlap: "skip",
 *   catchup: "latest",
 *   jitter: "30s",
 *   end: "2027-06-30T00:00:00.000Z",
 * });
 * ```
 */
export function HttpJob(
  spec: string,
  option: HttpOption,
  options?: string | HttpJobOptions,
): Job<HttpOption> {
  validateHttpOption(option);
  const { tz, dst, ...policy } = typeof options === "string"
    ? { tz: options }
    : options ?? {};
  validatePolicy(policy);
  const job: Job<HttpOption> = { mode: "HTTP", spec, option };
  if (tz !== undefined) job.tz = tz;
  if (dst !== undefined) job.dst = dst;
  if (Object.keys(policy).length > 0) job.policy = storedPolicy(policy);
  return job;
}

/**
 * Checks an {@link HttpOption}: an absolute http(s) URL, a known method, no body with
 * GET or HEAD, valid headers, a timeout between 1 ms and 24 h, and no unknown fields.
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
  refuseUnknownFields("HTTP option", option, HTTP_FIELDS);
  checkUrl(option.url);
  checkMethod(option);
  if (option.headers !== undefined) checkHeaders(option.headers);
  if (option.secretHeaders !== undefined) {
    validateSecretHeaders(option.secretHeaders, option.headers ?? {});
  }
  if (option.timeout !== undefined) httpTimeout(option.timeout);
}

function checkUrl(text: string): void {
  let url: URL;
  try {
    url = new URL(text);
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
}

function checkMethod({ method, body }: HttpOption): void {
  if (method !== undefined && !METHODS.includes(method)) {
    throw new InvalidJobError(
      `HTTP option: method ${JSON.stringify(method)} is not one of ${
        METHODS.join(", ")
      }`,
    );
  }
  if (body !== undefined && (method === "GET" || method === "HEAD")) {
    throw new InvalidJobError(
      `HTTP option: a ${method} request has no body: drop body, or use POST, PUT or PATCH`,
    );
  }
}

function checkHeaders(headers: unknown): void {
  if (!isRecord(headers)) {
    throw new InvalidJobError(
      "HTTP option: headers must be an object of strings",
    );
  }
  for (const [name, value] of Object.entries(headers)) {
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

/** The shortest and the longest HTTP timeout a job or a worker may set, in ms. */
export const HTTP_TIMEOUT_LIMITS = { min: 1, max: 24 * 3600_000 } as const;

/**
 * An HTTP timeout in ms, from a Go duration between 1 ms and 24 h: a shorter one would
 * fail every call at once, a longer one overflows the runtime's timers.
 *
 * @throws {InvalidJobError} When the text is not a Go duration, or is out of bounds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { httpTimeout } from "./job.ts";
 * assert.equal(httpTimeout("1m30s"), 90_000);
 * assert.throws(() => httpTimeout("600h"), /between 1ms and 24h/);
 * ```
 */
export function httpTimeout(text: string): number {
  let ms = NaN;
  try {
    ms = parseDuration(text);
  } catch { /* reported below */ }
  if (!(ms >= HTTP_TIMEOUT_LIMITS.min && ms <= HTTP_TIMEOUT_LIMITS.max)) {
    throw new InvalidJobError(
      `HTTP option: timeout ${
        JSON.stringify(text)
      } must be a Go duration between 1ms and 24h`,
    );
  }
  return ms;
}

/** Checks `secretHeaders`: valid header names, not also plain headers, valid secret names. */
function validateSecretHeaders(
  secretHeaders: unknown,
  headers: Record<string, string>,
): void {
  if (!isRecord(secretHeaders)) {
    throw new InvalidJobError(
      "HTTP option: secretHeaders must map header names to secret names",
    );
  }
  const plain = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
  for (const [name, secret] of Object.entries(secretHeaders)) {
    try {
      new Headers([[name, "x"]]);
    } catch {
      throw new InvalidJobError(
        `HTTP option: secret header "${name}" has an invalid name`,
      );
    }
    if (plain.has(name.toLowerCase())) {
      throw new InvalidJobError(
        `HTTP option: header "${name}" is in both headers and secretHeaders`,
      );
    }
    validateSecretName(secret);
  }
}

/**
 * The option with the values of its headers and the credentials of its URL replaced by
 * `***`, for printing. Secret header references are kept: they are names, not values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { maskHttpOption } from "./job.ts";
 * assert.deepEqual(
 *   maskHttpOption({ url: "https://u:p@a.example/x", headers: { "x-token": "abc" } }),
 *   { url: "https://***@a.example/x", headers: { "x-token": "***" } },
 * );
 * ```
 */
export function maskHttpOption(option: HttpOption): HttpOption {
  const masked = { ...option, url: redactUrlCredentials(option.url) };
  if (option.headers !== undefined) {
    masked.headers = Object.fromEntries(
      Object.keys(option.headers).map((name) => [name, "***"]),
    );
  }
  return masked;
}

/**
 * Whether `url` shows its credentials as {@link maskHttpOption} prints them (`***`),
 * standing for stored ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { maskedCredentials } from "./job.ts";
 * assert.ok(maskedCredentials("https://***@a.example/x"));
 * assert.ok(!maskedCredentials("https://bot:pw@a.example/x"));
 * ```
 */
export function maskedCredentials(url: string): boolean {
  const parsed = URL.parse(url);
  return parsed !== null && parsed.username === "***" && parsed.password === "";
}

/**
 * The names of the headers a job sets itself, plain or secret: those whose values it
 * holds (or names), which go to its URL's origin only and which the console never shows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ownHeaderNames } from "./job.ts";
 * const option = { url: "https://a.example", headers: { a: "1" }, secretHeaders: { b: "s" } };
 * assert.deepEqual(ownHeaderNames(option), ["a", "b"]);
 * ```
 */
export function ownHeaderNames(option: Partial<HttpOption>): string[] {
  return [
    ...Object.keys(option.headers ?? {}),
    ...Object.keys(option.secretHeaders ?? {}),
  ];
}
