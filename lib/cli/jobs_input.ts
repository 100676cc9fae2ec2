/**
 * The jobs of `set`: from its flags, or from a YAML or JSON file.
 *
 * @module
 */

import { parse as parseYaml } from "yaml";
import { InvalidJobError } from "../errors.ts";
import { HttpJob } from "../jobs/http/job.ts";
import type { HttpMethod, HttpOption, Job } from "../types.ts";
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
}

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
  return flags.file === undefined
    ? [httpJob(flags)]
    : await readJobs(flags.file);
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
  return HttpJob(flags.spec, option, flags.tz);
}

/** `NAME=VALUE` flags as a record; `undefined` when there are none. */
function pairs(
  flag: string,
  given: string[] | undefined,
): Record<string, string> | undefined {
  if (!given?.length) return undefined;
  const record: Record<string, string> = {};
  for (const pair of given) {
    const eq = pair.indexOf("=");
    if (eq < 1) throw new UsageError(`${flag} takes NAME=VALUE, not ${pair}`);
    record[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return record;
}

/** Reads a YAML or JSON file holding a job or a list of jobs (`{ mode, spec, tz?, option }`). */
async function readJobs(path: string): Promise<Job[]> {
  let parsed: unknown;
  try {
    parsed = parseYaml(await Deno.readTextFile(path));
  } catch (err) {
    throw new UsageError(`--file ${path}: ${(err as Error).message}`);
  }
  const jobs = Array.isArray(parsed) ? parsed : [parsed];
  if (!jobs.every((job) => typeof job === "object" && job !== null)) {
    throw new InvalidJobError(
      `${path}: expected a job or a list of jobs (mode, spec, option)`,
    );
  }
  return jobs.map((job) => ({ mode: "HTTP", ...job }) as Job);
}
