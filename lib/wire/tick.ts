/**
 * The tick codec: one tick of one job, as a node puts it in the job queue. A tick is
 * validated when encoded and when decoded; its spec is carried for the reader's
 * information and not compiled (the worker never needs it).
 *
 * @module
 */

import { CodecError } from "../errors.ts";
import { validateJob } from "../jobs/job.ts";
import { validateKey, validateNamespace } from "../nats/names.ts";
import type { Job, Tick, TickTrigger } from "../types.ts";
import {
  encoder,
  parseDate,
  parseRevision,
  parseTrigger,
  parseVersioned,
  WIRE_VERSION,
} from "./_util.ts";

/**
 * Validates and encodes one tick.
 *
 * @throws {InvalidJobError | InvalidKeyError | CodecError} When a field is not valid.
 *
 * @example
 * ```ts
 * import { decodeTick, encodeTick } from "./tick.ts";
 * const bytes = encodeTick({
 *   namespace: "beta",
 *   key: "test",
 *   index: 0,
 *   mode: "HTTP",
 *   spec: "@every 15s",
 *   option: { url: "https://example.com" },
 *   scheduledAt: new Date("2024-01-01T00:00:15Z"),
 * });
 * decodeTick(bytes).scheduledAt.toISOString(); // "2024-01-01T00:00:15.000Z"
 * ```
 */
export function encodeTick(tick: Tick): Uint8Array {
  checkTick(tick);
  return tickEncoder(tick)(tick.scheduledAt, tick.firesAt);
}

/**
 * Prepares the encoding of the ticks of one job, whose fields were validated when its
 * definition was decoded: the job's own fields are serialised once
 * ({@link tickJobFields}), so the node's hot path only writes a few short fields and a
 * time per tick.
 *
 * @example
 * ```ts
 * import { tickEncoder } from "./tick.ts";
 * const encode = tickEncoder({
 *   namespace: "beta", key: "test", index: 0, mode: "HTTP", spec: "@hourly",
 *   option: { url: "https://example.com" }, revision: 3,
 * });
 * encode(new Date("2024-01-01T00:00:00Z")); // Uint8Array
 * ```
 */
export function tickEncoder(
  tick: Omit<Tick, "scheduledAt">,
): (scheduledAt: Date, firesAt?: Date) => Uint8Array {
  const fields = tickJobFields(tick);
  return (scheduledAt, firesAt) =>
    encoder.encode(jobTickJson(tick, fields, scheduledAt, firesAt));
}

/** The fields of a tick that are not its job's, nor its times. */
export type TickHead = Pick<
  Tick,
  "namespace" | "key" | "index" | "revision" | "trigger"
>;

/**
 * The fields of a tick that come from its job (`mode`, `spec`, `tz`, `option`, `policy`),
 * as a JSON object, for {@link jobTickJson}: what a queued job holds to make its ticks
 * (a node holds a million of them; the whole tick would be twice as long).
 *
 * @example
 * ```ts
 * import { tickJobFields } from "./tick.ts";
 * tickJobFields({ mode: "HTTP", spec: "@hourly", option: { url: "https://example.com" } });
 * // '{"mode":"HTTP","spec":"@hourly","option":{"url":"https://example.com"}}'
 * ```
 */
export function tickJobFields(job: Job): string {
  const { mode, spec, tz, option, policy } = job;
  return JSON.stringify({ mode, spec, tz, option, policy });
}

/**
 * The JSON of the tick of the job whose {@link tickJobFields} are `fields`, scheduled at
 * `scheduledAt` (fired at `firesAt`, for a job with jitter). Text, not bytes: the node
 * encodes it straight into the message that carries it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeTick, jobTickJson, tickJobFields } from "./tick.ts";
 * const fields = tickJobFields({ mode: "HTTP", spec: "@hourly", option: { url: "https://example.com" } });
 * const head = { namespace: "beta", key: "test", index: 0, revision: 3 };
 * const json = jobTickJson(head, fields, new Date("2024-01-01T00:00:00Z"));
 * const tick = decodeTick(new TextEncoder().encode(json));
 * assert.deepEqual([tick.key, tick.revision, tick.spec], ["test", 3, "@hourly"]);
 * assert.equal(tick.scheduledAt.toISOString(), "2024-01-01T00:00:00.000Z");
 * ```
 */
export function jobTickJson(
  head: TickHead,
  fields: string,
  scheduledAt: Date,
  firesAt?: Date,
): string {
  const { namespace, key, index, revision, trigger } = head;
  // The fields in the order JSON.stringify of the whole tick writes them.
  const start = `{"version":${WIRE_VERSION},"namespace":${
    JSON.stringify(namespace)
  },"key":${JSON.stringify(key)},"index":${index},${fields.slice(1, -1)}`;
  const defined = (revision === undefined ? "" : `,"revision":${revision}`) +
    (trigger === undefined ? "" : `,"trigger":${JSON.stringify(trigger)}`);
  const times = `,"scheduledAt":"${scheduledAt.toISOString()}"` +
    (firesAt === undefined ? "" : `,"firesAt":"${firesAt.toISOString()}"`);
  return `${start}${defined}${times}}`;
}

/**
 * What made `tick` (a tick, or a run record of one): its `trigger`, `schedule` when it
 * has none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { triggerOf } from "./tick.ts";
 * assert.equal(triggerOf({}), "schedule");
 * assert.equal(triggerOf({ trigger: "manual" }), "manual");
 * ```
 */
export function triggerOf(tick: { trigger?: TickTrigger }): TickTrigger {
  return tick.trigger ?? "schedule";
}

const SCHEDULED_AT = '"scheduledAt":"';
const TRIGGER = '"trigger":"';
const textDecoder = new TextDecoder();

/**
 * The scheduled time of an encoded tick of its job's spec, in epoch ms, read without
 * decoding the rest (a node starting over a million ticks reads each one's time only);
 * `null` for a `manual` or `backfill` tick, whose time says nothing of the spec's last
 * tick. A string value holding the same text has its quotes escaped, so only the fields
 * themselves match; a tick's `trigger` is the field just before its `scheduledAt`.
 *
 * @throws {CodecError} When the bytes hold no valid `scheduledAt`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { specTickAt } from "./tick.ts";
 * const tick = (json: string) => new TextEncoder().encode(json);
 * const scheduledAt = '"scheduledAt":"2024-01-01T00:00:00.000Z"}';
 * assert.equal(
 *   specTickAt(tick(`{"version":1,"option":{"body":"\\"scheduledAt\\":\\"x"},${scheduledAt}`)),
 *   Date.UTC(2024, 0, 1),
 * );
 * assert.equal(specTickAt(tick(`{"version":1,"trigger":"manual",${scheduledAt}`)), null);
 * ```
 */
export function specTickAt(bytes: Uint8Array): number | null {
  const text = textDecoder.decode(bytes);
  const at = text.lastIndexOf(SCHEDULED_AT);
  const start = at + SCHEDULED_AT.length;
  const time = at < 0
    ? NaN
    : Date.parse(text.slice(start, text.indexOf('"', start)));
  if (Number.isNaN(time)) {
    throw new CodecError("the tick has no valid scheduledAt");
  }
  // The field before, when a string, ends with its quote before the comma.
  const end = at - 2;
  const value = text.lastIndexOf('"', end - 1) + 1;
  const trigger = text[end] === '"' &&
    text.startsWith(TRIGGER, value - TRIGGER.length);
  return !trigger || text.slice(value, end) === "schedule" ? time : null;
}

/**
 * Decodes and validates one tick.
 *
 * @throws {CodecError} When the bytes are not a tick of a known version.
 * @throws {InvalidJobError | InvalidKeyError | InvalidNamespaceError} When a field is not valid.
 *
 * @example
 * ```ts
 * import { decodeTick } from "./tick.ts";
 * const tick = decodeTick(new TextEncoder().encode(JSON.stringify({
 *   version: 1, namespace: "beta", key: "test", index: 0, mode: "HTTP", spec: "@hourly",
 *   option: { url: "https://example.com" }, scheduledAt: "2024-01-01T00:00:00.000Z",
 * })));
 * tick.key; // "test"
 * ```
 */
export function decodeTick(bytes: Uint8Array): Tick {
  const raw = parseVersioned(bytes, "tick");
  const tick = {
    ...raw,
    scheduledAt: parseDate(raw.scheduledAt, "tick scheduledAt"),
  } as unknown as Tick;
  if (raw.firesAt !== undefined) {
    tick.firesAt = parseDate(raw.firesAt, "tick firesAt");
  }
  checkTick(tick);
  return tick;
}

function checkTick(tick: Tick): void {
  validateNamespace(tick.namespace);
  validateKey(tick.key);
  if (!Number.isInteger(tick.index) || tick.index < 0) {
    throw new CodecError(
      `tick: index ${
        typeof tick.index === "number" ? tick.index : `(a ${typeof tick.index})`
      } is not a job position`,
    );
  }
  if (
    !(tick.scheduledAt instanceof Date) || isNaN(tick.scheduledAt.getTime())
  ) {
    throw new CodecError("tick: scheduledAt is not a date");
  }
  parseRevision(tick.revision, "tick revision");
  parseTrigger(tick.trigger, "tick trigger");
  validateJob(tick);
}
