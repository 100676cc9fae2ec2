/**
 * Wire codecs: a definition (the value of a key in the bucket) and a job message (one
 * tick in the job queue). Both are JSON with a `version` field, and both are validated
 * when encoded and when decoded.
 *
 * @module
 */

import {
  CodecError,
  InvalidJobError,
  PayloadTooLargeError,
} from "../errors.ts";
import { validateJob } from "../jobs/job.ts";
import { validateKey, validateNamespace } from "../nats/names.ts";
import { parseSpec, type Spec, type SpecOptions } from "../spec/spec.ts";
import type { Definition, Job, JobMessage, RunRecord } from "../types.ts";

/** The version this code writes and reads. */
export const WIRE_VERSION = 1;

/** Where compiled specs come from: a `SpecCache`'s `get`, or `parseSpec`. */
export type Compile = (
  source: string,
  timeZone?: string,
  options?: SpecOptions,
) => Spec;

/**
 * A decoded definition with the compiled spec of each job.
 *
 * @example
 * ```ts
 * import type { DecodedDefinition } from "@x/schedule";
 * const firstSpec = (d: DecodedDefinition) => d.specs[0].source;
 * ```
 */
export interface DecodedDefinition {
  /** The definition. */
  definition: Definition;
  /** `specs[i]` is the compiled spec of `definition.jobs[i]`. */
  specs: Spec[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Validates and encodes a definition.
 *
 * @throws {InvalidJobError} When it holds no job or a job is not valid.
 *
 * @example
 * ```ts
 * import { encodeDefinition, HttpJob } from "@x/schedule";
 * const bytes = encodeDefinition({
 *   jobs: [HttpJob("@hourly", { url: "https://example.com" })],
 *   anchor: new Date(),
 *   paused: false,
 * });
 * ```
 */
export function encodeDefinition(
  definition: Definition,
  compile: Compile = parseSpec,
): Uint8Array {
  checkDefinition(definition, compile);
  const { jobs, anchor, paused } = definition;
  return encoder.encode(
    JSON.stringify({
      version: WIRE_VERSION,
      jobs,
      anchor: anchor.toISOString(),
      paused,
    }),
  );
}

/**
 * Decodes and validates a definition.
 *
 * @throws {CodecError} When the bytes are not a definition of a known version.
 * @throws {InvalidJobError | InvalidSpecError | InvalidTimeZoneError} When a job is not valid.
 *
 * @example
 * ```ts
 * import { decodeDefinition, encodeDefinition, HttpJob } from "@x/schedule";
 * const jobs = [HttpJob("@hourly", { url: "https://example.com" })];
 * const bytes = encodeDefinition({ jobs, anchor: new Date(), paused: false });
 * decodeDefinition(bytes).definition.jobs[0].spec; // "@hourly"
 * ```
 */
export function decodeDefinition(
  bytes: Uint8Array,
  compile: Compile = parseSpec,
): DecodedDefinition {
  const raw = parseVersioned(bytes, "definition");
  const anchor = parseDate(raw.anchor, "definition anchor");
  if (typeof raw.paused !== "boolean") {
    throw new CodecError("definition: paused must be a boolean");
  }
  const definition: Definition = {
    jobs: raw.jobs as Job[],
    anchor,
    paused: raw.paused,
  };
  return { definition, specs: checkDefinition(definition, compile) };
}

/**
 * Validates and encodes one tick of one job.
 *
 * @throws {InvalidJobError | InvalidKeyError} When a field is not valid.
 *
 * @example
 * ```ts
 * import { encodeJobMessage } from "@x/schedule";
 * const bytes = encodeJobMessage({
 *   namespace: "beta",
 *   key: "test",
 *   index: 0,
 *   mode: "HTTP",
 *   spec: "@every 15s",
 *   option: { url: "https://example.com" },
 *   scheduledAt: new Date("2024-01-01T00:00:15Z"),
 * });
 * ```
 */
export function encodeJobMessage(
  message: JobMessage,
  compile: Compile = parseSpec,
): Uint8Array {
  checkMessage(message, compile);
  return tickEncoder(message)(message.scheduledAt);
}

/**
 * Prepares the encoding of the ticks of one job, whose fields were validated when its
 * definition was decoded: everything but `scheduledAt` is serialised once, so the
 * publisher's hot path only formats a time per tick.
 *
 * @example
 * ```ts
 * import { tickEncoder } from "./codec.ts";
 * const encode = tickEncoder({
 *   namespace: "beta", key: "test", index: 0, mode: "HTTP", spec: "@hourly",
 *   option: { url: "https://example.com" },
 * });
 * encode(new Date("2024-01-01T00:00:00Z")); // Uint8Array
 * ```
 */
export function tickEncoder(
  message: Omit<JobMessage, "scheduledAt">,
): (scheduledAt: Date) => Uint8Array {
  const { namespace, key, index, mode, spec, tz, option } = message;
  const json = JSON.stringify({
    version: WIRE_VERSION,
    namespace,
    key,
    index,
    mode,
    spec,
    tz,
    option,
    scheduledAt: "",
  });
  const head = json.slice(0, -2); // up to the opening quote of the scheduledAt value
  return (scheduledAt) =>
    encoder.encode(`${head}${scheduledAt.toISOString()}"}`);
}

/**
 * Decodes and validates one tick.
 *
 * @throws {CodecError} When the bytes are not a job message of a known version.
 * @throws {InvalidJobError | InvalidKeyError | InvalidSpecError} When a field is not valid.
 *
 * @example
 * ```ts
 * import { decodeJobMessage } from "@x/schedule";
 * const tick = decodeJobMessage(new TextEncoder().encode(JSON.stringify({
 *   version: 1, namespace: "beta", key: "test", index: 0, mode: "HTTP", spec: "@hourly",
 *   option: { url: "https://example.com" }, scheduledAt: "2024-01-01T00:00:00.000Z",
 * })));
 * tick.scheduledAt; // Date
 * ```
 */
export function decodeJobMessage(
  bytes: Uint8Array,
  compile: Compile = parseSpec,
): JobMessage {
  const raw = parseVersioned(bytes, "job message");
  const message = {
    ...raw,
    scheduledAt: parseDate(raw.scheduledAt, "job message scheduledAt"),
  } as unknown as JobMessage;
  delete (message as unknown as Record<string, unknown>).version;
  checkMessage(message, compile);
  return message;
}

/**
 * Encodes one run record.
 *
 * @example
 * ```ts
 * import { encodeRunRecord } from "./codec.ts";
 * const bytes = encodeRunRecord({
 *   key: "test", index: 0, scheduledAt: new Date(), attempt: 1, startedAt: new Date(),
 *   durationMs: 12, outcome: "success", status: 200, worker: "w1",
 * });
 * ```
 */
export function encodeRunRecord(record: RunRecord): Uint8Array {
  return encoder.encode(JSON.stringify({
    version: WIRE_VERSION,
    ...record,
    scheduledAt: record.scheduledAt.toISOString(),
    startedAt: record.startedAt.toISOString(),
  }));
}

/**
 * Decodes one run record.
 *
 * @throws {CodecError} When the bytes are not a run record of a known version.
 *
 * @example
 * ```ts
 * import { decodeRunRecord, encodeRunRecord } from "./codec.ts";
 * const record = decodeRunRecord(encodeRunRecord({
 *   key: "test", index: 0, scheduledAt: new Date(), attempt: 1, startedAt: new Date(),
 *   durationMs: 12, outcome: "failed", error: "timeout", worker: "w1",
 * }));
 * ```
 */
export function decodeRunRecord(bytes: Uint8Array): RunRecord {
  const raw = parseVersioned(bytes, "run record");
  delete raw.version;
  const record = {
    ...raw,
    scheduledAt: parseDate(raw.scheduledAt, "run record scheduledAt"),
    startedAt: parseDate(raw.startedAt, "run record startedAt"),
  } as RunRecord;
  if (
    typeof record.key !== "string" || !Number.isInteger(record.index) ||
    !Number.isInteger(record.attempt) ||
    typeof record.durationMs !== "number" ||
    !["success", "retry", "failed"].includes(record.outcome)
  ) {
    throw new CodecError("run record: missing or invalid fields");
  }
  return record;
}

/**
 * Throws when an encoded value is larger than the server accepts (`max_payload`).
 *
 * @throws {PayloadTooLargeError}
 *
 * @example
 * ```ts
 * import { assertFits } from "./codec.ts";
 * assertFits(new Uint8Array(10), 1024 * 1024, "definition of test"); // ok
 * ```
 */
export function assertFits(
  bytes: Uint8Array,
  maxPayload: number,
  what: string,
): void {
  if (bytes.length > maxPayload) {
    throw new PayloadTooLargeError(
      `${what} is ${bytes.length} bytes; the NATS server accepts at most ${maxPayload}: ` +
        `make the option smaller or split the jobs over several keys`,
    );
  }
}

function checkDefinition(definition: Definition, compile: Compile): Spec[] {
  if (!Array.isArray(definition.jobs) || definition.jobs.length === 0) {
    throw new InvalidJobError("a definition needs at least one job");
  }
  return definition.jobs.map((job, index) => {
    try {
      return validateJob(job, compile);
    } catch (err) {
      (err as Error).message = `job ${index}: ${(err as Error).message}`;
      throw err;
    }
  });
}

function checkMessage(message: JobMessage, compile: Compile): void {
  validateNamespace(message.namespace);
  validateKey(message.key);
  if (!Number.isInteger(message.index) || message.index < 0) {
    throw new CodecError(
      `job message: index ${message.index} is not a job position`,
    );
  }
  if (
    !(message.scheduledAt instanceof Date) ||
    isNaN(message.scheduledAt.getTime())
  ) {
    throw new CodecError("job message: scheduledAt is not a date");
  }
  validateJob(message, compile);
}

function parseVersioned(
  bytes: Uint8Array,
  what: string,
): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new CodecError(`${what}: not JSON`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new CodecError(`${what}: expected a JSON object`);
  }
  const version = (raw as Record<string, unknown>).version;
  if (version !== WIRE_VERSION) {
    throw new CodecError(
      `${what}: version ${
        JSON.stringify(version)
      } is not supported (this code reads ${WIRE_VERSION})`,
    );
  }
  return raw as Record<string, unknown>;
}

function parseDate(value: unknown, what: string): Date {
  const date = typeof value === "string" ? new Date(value) : new Date(NaN);
  if (isNaN(date.getTime())) {
    throw new CodecError(`${what}: expected an ISO 8601 time`);
  }
  return date;
}
