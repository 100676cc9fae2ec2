/**
 * The options of the client's calls.
 *
 * @module
 */

import type { NamespaceOptions } from "../nats/namespace.ts";
import type { PauseNote } from "../types.ts";

/**
 * Options of {@link Schedule.create}: how the namespace's streams are created if they are
 * missing.
 *
 * @example
 * ```ts
 * import type { ScheduleOptions } from "@x/schedule";
 * const options: ScheduleOptions = { maxAge: 7 * 24 * 3600_000 };
 * ```
 */
export type ScheduleOptions = NamespaceOptions;

/**
 * Options of {@link Schedule.set}.
 *
 * @example
 * ```ts
 * import type { SetOptions } from "@x/schedule";
 * const options: SetOptions = { paused: true };
 * ```
 */
export interface SetOptions extends WriteOptions {
  /** Define the key paused: its jobs fire once it is resumed. */
  paused?: boolean;
  /**
   * With `paused`, the note it is paused with (who, when, why; see
   * {@link Description.pause}): an edit of a paused key keeps its note so.
   */
  pause?: PauseNote;
  /**
   * Write only if the key is at this KV revision (see {@link Description.revision}), `0`
   * only if it does not exist; else a {@link ConflictError} is thrown and nothing written.
   */
  expectedRevision?: number;
}

/**
 * Who makes a change: kept in the bucket's history (see {@link Schedule.revisions}) and
 * in the events.
 *
 * @example
 * ```ts
 * import type { WriteOptions } from "@x/schedule";
 * const options: WriteOptions = { by: "alice" };
 * ```
 */
export interface WriteOptions {
  /** Who does it: a person's or a program's name, without control characters. */
  by?: string;
}

/**
 * Options of {@link Schedule.pause}.
 *
 * @example
 * ```ts
 * import type { PauseOptions } from "@x/schedule";
 * const options: PauseOptions = { note: "vendor outage, ticket 123", by: "alice" };
 * ```
 */
export interface PauseOptions extends WriteOptions {
  /** Why the key is paused. */
  note?: string;
}

/**
 * Options of {@link Schedule.trigger}.
 *
 * @example
 * ```ts
 * import type { TriggerOptions } from "@x/schedule";
 * const options: TriggerOptions = { index: 1, by: "alice" };
 * ```
 */
export interface TriggerOptions extends WriteOptions {
  /** The job's position in the definition (default 0). */
  index?: number;
}

/**
 * Options of {@link Schedule.backfill}: the range, both ends included.
 *
 * @example
 * ```ts
 * import type { BackfillOptions } from "@x/schedule";
 * const options: BackfillOptions = {
 *   from: new Date("2027-01-01T00:00:00Z"),
 *   to: "2027-01-02T00:00:00Z",
 * };
 * ```
 */
export interface BackfillOptions extends TriggerOptions {
  /** The first time of the range. */
  from: Date | string;
  /** The last time of the range, not in the future. */
  to: Date | string;
  /** Only the job at this position; every job of the key when left out. */
  index?: number;
}
