/**
 * The run record codec: one execution of one tick, as workers write it to the run history.
 *
 * @module
 */

import { CodecError } from "../errors.ts";
import type { RunRecord } from "../types.ts";
import {
  encodeVersioned,
  parseDate,
  parseRevision,
  parseTrigger,
  parseVersioned,
} from "./_util.ts";

const OUTCOMES = new Set<unknown>([
  "success",
  "retry",
  "failed",
  "superseded",
  "skipped",
  "cancelled",
  "interrupted",
]);

const isString = (value: unknown) => typeof value === "string";

/**
 * The fields of a run record other than its times, revision and trigger: whether each
 * must be there, and its test when it is.
 */
const FIELDS: [string, "required" | "optional", (value: unknown) => boolean][] =
  [
    ["key", "required", isString],
    ["index", "required", Number.isInteger],
    ["attempt", "required", Number.isInteger],
    ["durationMs", "required", (value) => typeof value === "number"],
    ["outcome", "required", (value) => OUTCOMES.has(value)],
    ["worker", "required", isString],
    ["status", "optional", Number.isInteger],
    ["response", "optional", isString],
    ["error", "optional", isString],
  ];

/**
 * Encodes one run record.
 *
 * @example
 * ```ts
 * import { decodeRunRecord, encodeRunRecord } from "./run_record.ts";
 * const bytes = encodeRunRecord({
 *   key: "test", index: 0, scheduledAt: new Date(), attempt: 1, startedAt: new Date(),
 *   durationMs: 12, outcome: "success", status: 200, worker: "w1",
 * });
 * decodeRunRecord(bytes).status; // 200
 * ```
 */
export function encodeRunRecord(record: RunRecord): Uint8Array {
  return encodeVersioned({
    ...record,
    scheduledAt: record.scheduledAt.toISOString(),
    startedAt: record.startedAt.toISOString(),
  });
}

/**
 * Decodes one run record.
 *
 * @throws {CodecError} When the bytes are not a run record of a known version, or a
 * field, required or optional, is missing or of the wrong type.
 *
 * @example
 * ```ts
 * import { decodeRunRecord, encodeRunRecord } from "./run_record.ts";
 * const record = decodeRunRecord(encodeRunRecord({
 *   key: "test", index: 0, scheduledAt: new Date(), attempt: 1, startedAt: new Date(),
 *   durationMs: 12, outcome: "failed", error: "timeout", worker: "w1",
 * }));
 * record.outcome; // "failed"
 * ```
 */
export function decodeRunRecord(bytes: Uint8Array): RunRecord {
  const raw = parseVersioned(bytes, "run record");
  const record = {
    ...raw,
    scheduledAt: parseDate(raw.scheduledAt, "run record scheduledAt"),
    startedAt: parseDate(raw.startedAt, "run record startedAt"),
  } as RunRecord;
  const invalid = FIELDS.filter(([name, presence, valid]) =>
    raw[name] === undefined ? presence === "required" : !valid(raw[name])
  );
  if (invalid.length > 0) {
    throw new CodecError(
      `run record: missing or invalid fields: ${
        invalid.map(([name]) => name).join(", ")
      }`,
    );
  }
  parseRevision(record.revision, "run record revision");
  parseTrigger(record.trigger, "run record trigger");
  return record;
}
