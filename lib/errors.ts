/**
 * Error classes thrown by the client, the publisher node and the worker.
 *
 * Every error is a {@link ScheduleError}, so a caller can catch them all with one
 * `instanceof`, or tell them apart by class.
 *
 * @example Tell a bad spec from a missing key
 * ```ts
 * import { InvalidSpecError, nextRuns } from "@x/schedule";
 *
 * try {
 *   nextRuns("61 * * * * *", 1);
 * } catch (err) {
 *   if (err instanceof InvalidSpecError) console.log(err.message);
 * }
 * ```
 * @module
 */

/**
 * The base class of every error this module throws on purpose.
 *
 * @example
 * ```ts
 * import { ScheduleError } from "@x/schedule";
 * const err = new ScheduleError("something is off");
 * console.log(err instanceof Error); // true
 * ```
 */
export class ScheduleError extends Error {
  /** Creates the error; `name` is the class name. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A namespace that cannot name NATS buckets, streams and subjects.
 *
 * @example
 * ```ts
 * import { InvalidNamespaceError } from "@x/schedule";
 * console.log(new InvalidNamespaceError("bad").name); // "InvalidNamespaceError"
 * ```
 */
export class InvalidNamespaceError extends ScheduleError {}

/**
 * A schedule key that is not a valid NATS KV key.
 *
 * @example
 * ```ts
 * import { InvalidKeyError } from "@x/schedule";
 * console.log(new InvalidKeyError("bad").name); // "InvalidKeyError"
 * ```
 */
export class InvalidKeyError extends ScheduleError {}

/**
 * A cron spec that does not parse, or an `@every` duration that is not positive.
 *
 * @example
 * ```ts
 * import { InvalidSpecError } from "@x/schedule";
 * console.log(new InvalidSpecError("bad").name); // "InvalidSpecError"
 * ```
 */
export class InvalidSpecError extends ScheduleError {}

/**
 * A time zone that is not in the runtime's IANA database.
 *
 * @example
 * ```ts
 * import { InvalidTimeZoneError } from "@x/schedule";
 * console.log(new InvalidTimeZoneError("bad").name); // "InvalidTimeZoneError"
 * ```
 */
export class InvalidTimeZoneError extends ScheduleError {}

/**
 * A job whose mode or option is not valid: a bad URL, method, header, timeout, or body.
 *
 * @example
 * ```ts
 * import { InvalidJobError } from "@x/schedule";
 * console.log(new InvalidJobError("bad").name); // "InvalidJobError"
 * ```
 */
export class InvalidJobError extends ScheduleError {}

/**
 * A definition or message larger than the NATS server accepts.
 *
 * @example
 * ```ts
 * import { PayloadTooLargeError } from "@x/schedule";
 * console.log(new PayloadTooLargeError("bad").name); // "PayloadTooLargeError"
 * ```
 */
export class PayloadTooLargeError extends ScheduleError {}

/**
 * Bytes read from NATS that are not a valid definition or job message.
 *
 * @example
 * ```ts
 * import { CodecError } from "@x/schedule";
 * console.log(new CodecError("bad").name); // "CodecError"
 * ```
 */
export class CodecError extends ScheduleError {}

/**
 * A schedule key that does not exist in the namespace.
 *
 * @example
 * ```ts
 * import { NotFoundError } from "@x/schedule";
 * console.log(new NotFoundError("missing").name); // "NotFoundError"
 * ```
 */
export class NotFoundError extends ScheduleError {}

/**
 * A configuration file or environment variable that is missing or invalid.
 *
 * @example
 * ```ts
 * import { ConfigError } from "./errors.ts";
 * console.log(new ConfigError("nats.hosts: expected a list").name); // "ConfigError"
 * ```
 */
export class ConfigError extends ScheduleError {}

/**
 * A write that expected the key at one revision and found it at another: somebody else
 * changed it in between (see `set`'s `expectedRevision`). Nothing was written.
 *
 * @example
 * ```ts
 * import { ConflictError } from "@x/schedule";
 * console.log(new ConflictError("changed").name); // "ConflictError"
 * ```
 */
export class ConflictError extends ScheduleError {}

/**
 * A backfill range that is not valid: not a range of past times, or naming a job the key
 * does not have. Nothing was fired.
 *
 * @example
 * ```ts
 * import { InvalidBackfillError } from "@x/schedule";
 * console.log(new InvalidBackfillError("bad").name); // "InvalidBackfillError"
 * ```
 */
export class InvalidBackfillError extends ScheduleError {}

/**
 * A backfill range longer than 31 days or of more than 1,000 ticks. Nothing was fired:
 * split it into smaller ranges.
 *
 * @example
 * ```ts
 * import { BackfillTooLargeError, InvalidBackfillError } from "@x/schedule";
 * console.log(new BackfillTooLargeError("big") instanceof InvalidBackfillError); // true
 * ```
 */
export class BackfillTooLargeError extends InvalidBackfillError {}

/**
 * The connected nats-server is older than 2.10, the oldest line this module runs
 * against. Nothing was created on it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ScheduleError, UnsupportedServerError } from "@x/schedule";
 * assert.ok(new UnsupportedServerError("old") instanceof ScheduleError);
 * ```
 */
export class UnsupportedServerError extends ScheduleError {}
