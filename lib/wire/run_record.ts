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
  parseVersioned,
} from "./_util.ts";

const OUTCOMES = new Set([
  "success",
  "retry",
  "failed",
  "superseded",
  "skipped",
  "cancelled",
  "interrupted",
]);

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
 * @throws {CodecError} When the bytes are not a run record of a known version.
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
  if (
    typeof record.key !== "string" || !Number.isInteger(record.index) ||
    !Number.isInteger(record.attempt) ||
    typeof record.durationMs !== "number" || !OUTCOMES.has(record.outcome)
  ) {
    throw new CodecError("run record: missing or invalid fields");
  }
  parseRevision(record.revision, "run record revision");
  return record;
}
