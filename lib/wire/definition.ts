/**
 * The definition codec: the value of a key in the namespace's bucket. Validated, and its
 * specs compiled, when encoded (on the way into NATS) and when decoded (on the way out).
 *
 * @module
 */

import { isRecord } from "../_util.ts";
import { CodecError, InvalidJobError } from "../errors.ts";
import { validateJob } from "../jobs/job.ts";
import { parseSpec, type Spec, type SpecOptions } from "../spec/spec.ts";
import type { Definition, Job, PauseNote } from "../types.ts";
import {
  encodeVersioned,
  isTime,
  parseDate,
  parseRevision,
  parseVersioned,
} from "./_util.ts";

/** Where compiled specs come from: a `SpecCache`'s `get`, or `parseSpec`. */
export type Compile = (
  source: string,
  timeZone?: string,
  options?: SpecOptions,
) => Spec;

/**
 * A definition with the compiled spec of each job.
 *
 * @example
 * ```ts
 * import type { CompiledDefinition } from "./definition.ts";
 * const firstSpec = (d: CompiledDefinition) => d.specs[0].source;
 * ```
 */
export interface CompiledDefinition {
  /** The definition. */
  definition: Definition;
  /** `specs[i]` is the compiled spec of `definition.jobs[i]`. */
  specs: Spec[];
}

/**
 * Validates and encodes a definition; returns the bytes and the compiled specs.
 *
 * @throws {InvalidJobError | InvalidSpecError | InvalidTimeZoneError} When it holds no
 * job or a job is not valid.
 * @throws {CodecError} When JSON cannot hold a job (a `BigInt` or a circular object in
 * its option).
 *
 * @example
 * ```ts
 * import { encodeDefinition } from "./definition.ts";
 * import { HttpJob } from "../jobs/http/job.ts";
 * const { specs } = encodeDefinition({
 *   jobs: [HttpJob("@hourly", { url: "https://example.com" })],
 *   anchor: new Date(),
 *   paused: false,
 * });
 * ```
 */
export function encodeDefinition(
  definition: Definition,
  compile: Compile = parseSpec,
): { bytes: Uint8Array; specs: Spec[] } {
  const specs = compileDefinition(definition, compile);
  const { jobs, anchor, paused, revision, pause, by } = definition;
  const bytes = encodeVersioned({
    jobs,
    anchor: anchor.toISOString(),
    paused,
    revision,
    pause,
    by,
  }, "definition");
  return { bytes, specs };
}

/**
 * Decodes and validates a definition, compiling its specs.
 *
 * @throws {CodecError} When the bytes are not a definition of a known version.
 * @throws {InvalidJobError | InvalidSpecError | InvalidTimeZoneError} When a job is not valid.
 *
 * @example
 * ```ts
 * import { decodeDefinition, encodeDefinition } from "./definition.ts";
 * import { HttpJob } from "../jobs/http/job.ts";
 * const jobs = [HttpJob("@hourly", { url: "https://example.com" })];
 * const { bytes } = encodeDefinition({ jobs, anchor: new Date(), paused: false });
 * decodeDefinition(bytes).definition.jobs[0].spec; // "@hourly"
 * ```
 */
export function decodeDefinition(
  bytes: Uint8Array,
  compile: Compile = parseSpec,
): CompiledDefinition {
  const raw = parseVersioned(bytes, "definition");
  const anchor = parseDate(raw.anchor, "definition anchor");
  if (typeof raw.paused !== "boolean") {
    throw new CodecError("definition: paused must be a boolean");
  }
  const revision = parseRevision(raw.revision, "definition revision");
  if (raw.pause !== undefined && !isPauseNote(raw.pause)) {
    throw new CodecError(
      "definition: pause must be a note { note?, at (a time), by? }",
    );
  }
  if (raw.by !== undefined && typeof raw.by !== "string") {
    throw new CodecError("definition: by must be a string");
  }
  const definition: Definition = {
    jobs: raw.jobs as Job[],
    anchor,
    paused: raw.paused,
    ...(revision === undefined ? {} : { revision }),
    ...(raw.pause === undefined ? {} : { pause: raw.pause as PauseNote }),
    ...(raw.by === undefined ? {} : { by: raw.by as string }),
  };
  return { definition, specs: compileDefinition(definition, compile) };
}

/**
 * The revision that identifies the definition a bucket entry holds: its `revision`
 * field, written by pause and resume, else the entry's own revision (that of its `set`).
 * Ticks carry it; a `set` or a removal changes it, a pause or a resume does not.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { definedRevision } from "./definition.ts";
 * const definition = { jobs: [], anchor: new Date(), paused: true, revision: 4 };
 * assert.equal(definedRevision(definition, 6), 4);
 * assert.equal(definedRevision({ ...definition, revision: undefined }, 6), 6);
 * ```
 */
export function definedRevision(
  definition: Definition,
  entryRevision: number,
): number {
  return definition.revision ?? entryRevision;
}

/**
 * True when a tick or run record is of the definition of revision `revision` (see
 * {@link definedRevision}), or does not say (written by an older node or worker).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ofDefinition } from "./definition.ts";
 * assert.equal(ofDefinition({ revision: 4 }, 4), true);
 * assert.equal(ofDefinition({ revision: 3 }, 4), false);
 * assert.equal(ofDefinition({}, 4), true);
 * ```
 */
export function ofDefinition(
  written: { revision?: number },
  revision: number,
): boolean {
  return written.revision === undefined || written.revision === revision;
}

/**
 * {@link definedRevision} of a stored entry, reading only what it needs: an entry that
 * is not a valid definition is its own revision.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { storedRevision } from "./definition.ts";
 * const value = new TextEncoder().encode('{"version":1,"revision":4}');
 * assert.equal(storedRevision(value, 6), 4);
 * assert.equal(storedRevision(new TextEncoder().encode("garbage"), 6), 6);
 * ```
 */
export function storedRevision(
  value: Uint8Array,
  entryRevision: number,
): number {
  try {
    const raw = parseVersioned(value, "definition");
    return parseRevision(raw.revision, "definition revision") ?? entryRevision;
  } catch (err) {
    if (err instanceof CodecError) return entryRevision;
    throw err;
  }
}

/**
 * Whether `value` is a pause note (`{ note?, at, by? }`, strings; `at` a time).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isPauseNote } from "./definition.ts";
 * assert.equal(isPauseNote({ at: "2030-01-01T00:00:00.000Z", by: "ops" }), true);
 * assert.equal(isPauseNote({ note: "why" }), false);
 * assert.equal(isPauseNote({ at: "yesterday" }), false);
 * ```
 */
export function isPauseNote(value: unknown): value is PauseNote {
  if (!isRecord(value)) return false;
  const { note, at, by } = value;
  return isTime(at) &&
    (note === undefined || typeof note === "string") &&
    (by === undefined || typeof by === "string");
}

/** Validates every job of a definition and compiles its spec. */
function compileDefinition(definition: Definition, compile: Compile): Spec[] {
  if (!Array.isArray(definition.jobs) || definition.jobs.length === 0) {
    throw new InvalidJobError("a definition needs at least one job");
  }
  return definition.jobs.map((job, index) => {
    try {
      validateJob(job);
      return job.dst === undefined
        ? compile(job.spec, job.tz)
        : compile(job.spec, job.tz, { dst: job.dst });
    } catch (err) {
      (err as Error).message = `job ${index}: ${(err as Error).message}`;
      throw err;
    }
  });
}
