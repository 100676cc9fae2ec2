/**
 * Private helpers of the wire codecs: versioned JSON in and out.
 *
 * @module
 */

import { isRecord, timeOf } from "../_util.ts";
import { CodecError } from "../errors.ts";
import type { TickTrigger } from "../types.ts";

/** The version this code writes and reads. */
export const WIRE_VERSION = 1;

/** Encodes UTF-8 text. */
export const encoder: TextEncoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encodes `value` as JSON with the wire version first.
 *
 * @throws {CodecError} When JSON cannot hold it (a `BigInt`, a circular object); `what`
 * names it.
 */
export function encodeVersioned(
  value: Record<string, unknown>,
  what = "message",
): Uint8Array {
  let json: string;
  try {
    json = JSON.stringify({ version: WIRE_VERSION, ...value });
  } catch (err) {
    throw new CodecError(
      `${what}: cannot be written as JSON: ${(err as Error).message}`,
    );
  }
  return encoder.encode(json);
}

/**
 * Parses JSON bytes into an object of the wire version, without its `version` field.
 *
 * @throws {CodecError} When the bytes are not such an object; `what` names it.
 */
export function parseVersioned(
  bytes: Uint8Array,
  what: string,
): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new CodecError(`${what}: not JSON`);
  }
  if (!isRecord(raw)) throw new CodecError(`${what}: expected a JSON object`);
  const { version, ...rest } = raw;
  if (version !== WIRE_VERSION) {
    throw new CodecError(
      `${what}: version ${
        JSON.stringify(version)
      } is not supported (this code reads ${WIRE_VERSION})`,
    );
  }
  return rest;
}

/** Whether `value` is text that reads as a time (as {@link parseDate} reads it). */
export function isTime(value: unknown): value is string {
  return typeof value === "string" && !isNaN(timeOf(value));
}

/**
 * Reads an ISO 8601 time.
 *
 * @throws {CodecError} When `value` is not one; `what` names the field.
 */
export function parseDate(value: unknown, what: string): Date {
  const time = typeof value === "string" ? timeOf(value) : NaN;
  if (isNaN(time)) throw new CodecError(`${what}: expected an ISO 8601 time`);
  return new Date(time);
}

/**
 * Reads an optional KV revision: `undefined` when absent.
 *
 * @throws {CodecError} When `value` is not a positive integer; `what` names the field.
 */
export function parseRevision(
  value: unknown,
  what: string,
): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new CodecError(`${what}: expected a positive integer`);
  }
  return value as number;
}

const TRIGGERS = new Set<unknown>(["schedule", "manual", "backfill"]);

/**
 * Reads an optional tick trigger: `undefined` when absent.
 *
 * @throws {CodecError} When `value` is not a {@link TickTrigger}; `what` names the field.
 */
export function parseTrigger(
  value: unknown,
  what: string,
): TickTrigger | undefined {
  if (value === undefined || TRIGGERS.has(value)) {
    return value as TickTrigger | undefined;
  }
  throw new CodecError(`${what}: expected schedule, manual or backfill`);
}
