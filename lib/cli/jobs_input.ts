/**
 * The jobs of `set`: from its flags, or from a YAML or JSON file.
 *
 * @module
 */

import { parseYamlRedacted } from "../ops/redact.ts";
import { wholeNumberOf } from "../_util.ts";
import { InvalidJobError } from "../errors.ts";
import { HttpJob, maskedCredentials } from "../jobs/http/job.ts";
import type {
  CatchupPolicy,
  HttpMethod,
  HttpOption,
  Job,
  JobPolicy,
  OverlapPolicy,
} from "../types.ts";
import { UsageError } from "./usage.ts";

/** The options of `set` that define its jobs. */
export interface JobFlags {
  /** The spec of the one HTTP job the flags define. */
  spec?: string;
  /** Its URL. */
  url?: string;
  /** Its method, in any case. */
  method?: string;
  /** Its headers, each `NAME=VALUE`. */
  header?: string[];
  /** Its secret headers, each `NAME=SECRET` (the name of a secret workers hold). */
  secretHeader?: string[];
  /** Its body, as JSON. */
  body?: string;
  /** Its zone. */
  tz?: string;
  /** Its per-request timeout, a Go duration (`30s`). */
  timeout?: string;
  /** A YAML or JSON file of jobs, instead of the flags above. */
  file?: string;
  /** {@link JobPolicy.overlap}. */
  overlap?: string;
  /** {@link JobPolicy.catchup}. */
  catchup?: string;
  /** {@link JobPolicy.catchupWindow}. */
  catchupWindow?: string;
  /** {@link JobPolicy.jitter}. */
  jitter?: string;
  /** {@link JobPolicy.start}, an ISO 8601 time. */
  start?: string;
  /** {@link JobPolicy.end}, an ISO 8601 time. */
  end?: string;
  /** {@link JobPolicy.maxRuns}. */
  maxRuns?: string;
  /** `retry.maxAttempts` of {@link JobPolicy.retry}. */
  retryMaxAttempts?: string;
  /** `retry.delay` of {@link JobPolicy.retry}. */
  retryDelay?: string;
  /** `retry.maxDelay` of {@link JobPolicy.retry}. */
  retryMaxDelay?: string;
  /** {@link JobPolicy.pauseAfterFailures}. */
  pauseAfterFailures?: string;
}

/** The policy flags of `set`, as commander names them, with the policy field each sets. */
const POLICY_FLAGS = [
  "overlap",
  "catchup",
  "catchupWindow",
  "jitter",
  "start",
  "end",
  "maxRuns",
  "retryMaxAttempts",
  "retryDelay",
  "retryMaxDelay",
  "pauseAfterFailures",
] as const;

/** The flags of `set` that make its one HTTP job: as commander names them, as typed. */
const JOB_FLAGS = {
  spec: "--spec",
  url: "--url",
  method: "--method",
  header: "--header",
  secretHeader: "--secret-header",
  body: "--body",
  tz: "--tz",
  timeout: "--timeout",
} as const;

/**
 * The jobs `set` defines: those of `--file`, else the one HTTP job of the flags.
 *
 * @throws {UsageError} When the flags are incomplete or malformed, or the file unreadable.
 * @throws {InvalidJobError} When the option of the flags is not valid, or the file
 * holds something other than jobs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jobsFromFlags } from "./jobs_input.ts";
 *
 * const [job] = await jobsFromFlags({
 *   spec: "@hourly",
 *   url: "https://api.example.com/hook",
 *   method: "put",
 *   header: ["x-token=abc"],
 *   timeout: "10s",
 * });
 * assert.deepEqual(job.option, {
 *   url: "https://api.example.com/hook",
 *   method: "PUT",
 *   headers: { "x-token": "abc" },
 *   timeout: "10s",
 * });
 * ```
 */
export async function jobsFromFlags(flags: JobFlags): Promise<Job[]> {
  if (flags.file === undefined) return [httpJob(flags)];
  const given = Object.entries(JOB_FLAGS)
    .filter(([flag]) => flags[flag as keyof typeof JOB_FLAGS] !== undefined)
    .map(([, typed]) => typed);
  if (given.length > 0) {
    throw new UsageError(
      `${
        given.join(", ")
      } cannot go with --file: give each job of the file its own`,
    );
  }
  if (POLICY_FLAGS.some((flag) => flags[flag] !== undefined)) {
    throw new UsageError(
      "the policy flags go with --spec and --url; in a --file, give each job a policy",
    );
  }
  return await readJobs(flags.file);
}

/**
 * The run policy of the flags (numbers as given: `HttpJob` refuses what is not valid).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { policyFromFlags } from "./jobs_input.ts";
 * assert.deepEqual(policyFromFlags({ overlap: "skip", maxRuns: "3", retryDelay: "1s" }), {
 *   overlap: "skip",
 *   maxRuns: 3,
 *   retry: { delay: "1s" },
 * });
 * ```
 */
export function policyFromFlags(flags: JobFlags): JobPolicy {
  const policy: JobPolicy = {};
  const retry: NonNullable<JobPolicy["retry"]> = {};
  const { overlap, catchup, catchupWindow, jitter, start, end } = flags;
  if (overlap !== undefined) policy.overlap = overlap as OverlapPolicy;
  if (catchup !== undefined) policy.catchup = catchup as CatchupPolicy;
  if (catchupWindow !== undefined) policy.catchupWindow = catchupWindow;
  if (jitter !== undefined) policy.jitter = jitter;
  if (start !== undefined) policy.start = start;
  if (end !== undefined) policy.end = end;
  // Digits only: `0x10` or `1e1` are NaN, which the policy's check refuses.
  if (flags.maxRuns !== undefined) {
    policy.maxRuns = wholeNumberOf(flags.maxRuns);
  }
  if (flags.pauseAfterFailures !== undefined) {
    policy.pauseAfterFailures = wholeNumberOf(flags.pauseAfterFailures);
  }
  if (flags.retryMaxAttempts !== undefined) {
    retry.maxAttempts = wholeNumberOf(flags.retryMaxAttempts);
  }
  if (flags.retryDelay !== undefined) retry.delay = flags.retryDelay;
  if (flags.retryMaxDelay !== undefined) retry.maxDelay = flags.retryMaxDelay;
  if (Object.keys(retry).length > 0) policy.retry = retry;
  return policy;
}

function httpJob(flags: JobFlags): Job {
  if (flags.spec === undefined || flags.url === undefined) {
    throw new UsageError("set needs --spec and --url, or --file");
  }
  const option: HttpOption = { url: flags.url };
  if (flags.method !== undefined) {
    option.method = flags.method.toUpperCase() as HttpMethod;
  }
  const headers = pairs("--header", flags.header);
  if (headers) option.headers = headers;
  const secretHeaders = pairs("--secret-header", flags.secretHeader);
  if (secretHeaders) option.secretHeaders = secretHeaders;
  if (flags.timeout !== undefined) option.timeout = flags.timeout;
  if (flags.body !== undefined) {
    try {
      option.body = JSON.parse(flags.body);
    } catch {
      throw new UsageError("--body takes JSON");
    }
  }
  return HttpJob(flags.spec, option, {
    tz: flags.tz,
    ...policyFromFlags(flags),
  });
}

/**
 * `NAME=VALUE` flags as a record; `undefined` when there are none. One without `=` is
 * refused without echoing it: it may hold a secret.
 */
function pairs(
  flag: string,
  given: string[] | undefined,
): Record<string, string> | undefined {
  if (!given?.length) return undefined;
  const record: Record<string, string> = {};
  for (const pair of given) {
    const eq = pair.indexOf("=");
    if (eq < 1) throw new UsageError(`${flag} takes NAME=VALUE`);
    record[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return record;
}

/** Reads a YAML or JSON file holding a job or a list of jobs (`{ mode, spec, tz?, option }`). */
async function readJobs(path: string): Promise<Job[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new UsageError(`--file ${path}: ${(err as Error).message}`);
  }
  const parsed = parseYamlRedacted(
    text,
    (reason) => new UsageError(`--file ${path}: ${reason}`),
  );
  const jobs = Array.isArray(parsed) ? parsed : [parsed];
  if (!jobs.every((job) => typeof job === "object" && job !== null)) {
    throw new InvalidJobError(
      `${path}: expected a job or a list of jobs (mode, spec, option)`,
    );
  }
  const read = jobs.map((job) => ({ mode: "HTTP", ...job }) as Job);
  for (const job of read) refuseMasked(path, job);
  return read;
}

/**
 * Refuses a job as printed without `--show-secrets`: a header value or URL credentials
 * of `***` would be stored as such, in place of the secrets.
 *
 * @throws {InvalidJobError} When a header value is `***` or the URL's user is `***`.
 */
function refuseMasked(path: string, job: Job): void {
  if (job.mode !== "HTTP") return;
  const option = job.option as Partial<HttpOption> | undefined;
  const masked = Object.values(option?.headers ?? {}).includes("***") ||
    (typeof option?.url === "string" && maskedCredentials(option.url));
  if (masked) {
    throw new InvalidJobError(
      `${path}: a header value or URL credentials are *** (output masked by get): get it again with --show-secrets`,
    );
  }
}
