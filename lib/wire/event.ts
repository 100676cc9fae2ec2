/**
 * The event codec: one {@link ScheduleEvent} as JSON on the namespace's event subjects.
 *
 * @module
 */

import { CodecError } from "../errors.ts";
import type { EventType, ScheduleEvent } from "../types.ts";
import { encodeVersioned, parseDate, parseVersioned } from "./_util.ts";

const TYPES = new Set<EventType>([
  "missed",
  "skipped",
  "failed",
  "paused",
  "resumed",
  "changed",
  "removed",
  "triggered",
  "backfilled",
  "node-joined",
  "node-left",
]);

/**
 * Encodes one event.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeEvent, encodeEvent } from "./event.ts";
 * const at = new Date("2027-01-01T00:00:00Z");
 * const gap = { scheduledAt: new Date("2026-12-31T23:59:00Z"), until: at };
 * const missed = { type: "missed" as const, at, key: "k", index: 0, count: 3, ...gap };
 * assert.deepEqual(decodeEvent(encodeEvent(missed)), missed);
 * ```
 */
export function encodeEvent(event: ScheduleEvent): Uint8Array {
  return encodeVersioned({
    ...event,
    at: event.at.toISOString(),
    ...(event.scheduledAt && { scheduledAt: event.scheduledAt.toISOString() }),
    ...(event.until && { until: event.until.toISOString() }),
  });
}

/**
 * Decodes one event.
 *
 * @throws {CodecError} When the bytes are not an event of a known version and type.
 */
export function decodeEvent(bytes: Uint8Array): ScheduleEvent {
  const raw = parseVersioned(bytes, "event");
  if (!TYPES.has(raw.type as EventType)) {
    throw new CodecError(`event: unknown type ${JSON.stringify(raw.type)}`);
  }
  const event = { ...raw, at: parseDate(raw.at, "event at") } as ScheduleEvent;
  if (raw.scheduledAt !== undefined) {
    event.scheduledAt = parseDate(raw.scheduledAt, "event scheduledAt");
  }
  if (raw.until !== undefined) {
    event.until = parseDate(raw.until, "event until");
  }
  return event;
}
