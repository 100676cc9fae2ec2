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
import type { Tick } from "../types.ts";
import {
  encoder,
  parseDate,
  parseRevision,
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
 * definition was decoded: everything but `scheduledAt` (and `firesAt`, given for a job
 * with jitter) is serialised once, so the node's hot path only formats a time per tick.
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
  const template = tickTemplate(tick);
  return (scheduledAt, firesAt) => encodeTickAt(template, scheduledAt, firesAt);
}

/**
 * The JSON of the ticks of one job with an empty `scheduledAt`, for
 * {@link encodeTickAt}: what {@link tickEncoder} keeps, as one string a job can hold
 * (a million jobs hold no closure each).
 *
 * @example
 * ```ts
 * import { encodeTickAt, tickTemplate } from "./tick.ts";
 * const template = tickTemplate({
 *   namespace: "beta", key: "test", index: 0, mode: "HTTP", spec: "@hourly",
 *   option: { url: "https://example.com" },
 * });
 * encodeTickAt(template, new Date("2024-01-01T00:00:00Z")); // Uint8Array
 * ```
 */
export function tickTemplate(tick: Omit<Tick, "scheduledAt">): string {
  const { namespace, key, index, mode, spec, tz, option, revision } = tick;
  const { policy, trigger } = tick;
  return JSON.stringify({
    version: WIRE_VERSION,
    namespace,
    key,
    index,
    mode,
    spec,
    tz,
    option,
    policy,
    revision,
    trigger,
    scheduledAt: "",
  });
}

/** The tick of a {@link tickTemplate} scheduled at `scheduledAt` (fired at `firesAt`). */
export function encodeTickAt(
  template: string,
  scheduledAt: Date,
  firesAt?: Date,
): Uint8Array {
  // Up to the opening quote of the scheduledAt value.
  const head = template.slice(0, -2);
  return encoder.encode(
    firesAt === undefined
      ? `${head}${scheduledAt.toISOString()}"}`
      : `${head}${scheduledAt.toISOString()}","firesAt":"${firesAt.toISOString()}"}`,
  );
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
    throw new CodecError(`tick: index ${tick.index} is not a job position`);
  }
  if (
    !(tick.scheduledAt instanceof Date) || isNaN(tick.scheduledAt.getTime())
  ) {
    throw new CodecError("tick: scheduledAt is not a date");
  }
  parseRevision(tick.revision, "tick revision");
  validateJob(tick);
}
