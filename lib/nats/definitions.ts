/**
 * Changing a stored definition in place, the one way the client's pause and resume and
 * the worker's pause after failures write: read, decode, change, write with a revision
 * check, again on a conflict. The definition keeps its identity (its `revision`), so
 * ticks already queued still run.
 *
 * @module
 */

import type { KvEntry } from "@nats-io/kv";
import { NotFoundError } from "../errors.ts";
import { quoted } from "../_util.ts";
import type { Spec } from "../spec/spec.ts";
import type { Definition, PauseNote } from "../types.ts";
import {
  assertFits,
  type Compile,
  decodeDefinition,
  definedRevision,
  encodeDefinition,
} from "../wire/mod.ts";
import { changeEntry } from "./kv_change.ts";
import type { Namespace } from "./namespace.ts";

/**
 * A change to a definition, given its compiled specs and its revision (see
 * `definedRevision`): the definition to write, or `null` when there is nothing to change.
 * It may throw to refuse the change.
 */
export type DefinitionChange = (
  definition: Definition,
  specs: Spec[],
  revision: number,
) => Definition | null;

/**
 * Validates and encodes the definition of `key`, as it is stored; returns the bytes and
 * the compiled specs.
 *
 * @throws {PayloadTooLargeError} When it is larger than the server accepts.
 * @throws {InvalidJobError | InvalidSpecError | InvalidTimeZoneError} As `encodeDefinition`.
 *
 * @example
 * ```ts ignore
 * const { bytes } = encodeStored(namespace, "report", definition);
 * ```
 */
export function encodeStored(
  namespace: Pick<Namespace, "maxPayload">,
  key: string,
  definition: Definition,
  compile?: Compile,
): { bytes: Uint8Array; specs: Spec[] } {
  const encoded = encodeDefinition(definition, compile);
  assertFits(
    encoded.bytes,
    namespace.maxPayload,
    `the definition of ${quoted(key)}`,
  );
  return encoded;
}

/**
 * The entry of `key` in the definitions bucket.
 *
 * @throws {NotFoundError} When the key does not exist.
 *
 * @example
 * ```ts ignore
 * const entry = await readDefinitionEntry(namespace, "report");
 * ```
 */
export async function readDefinitionEntry(
  namespace: Pick<Namespace, "kv" | "names">,
  key: string,
): Promise<KvEntry> {
  const entry = await namespace.kv.get(key);
  if (entry === null || entry.operation !== "PUT") {
    throw notFound(namespace, key);
  }
  return entry;
}

/**
 * Applies `change` to the definition of `key` and writes it on condition that nobody
 * wrote the key meanwhile, reading and changing again when somebody did (with
 * `expectedRevision`, the key must be at that revision, else the conflict is thrown).
 * The written definition keeps the revision of its `set`. Returns the definition as it
 * is now.
 *
 * @throws {NotFoundError} When the key does not exist.
 *
 * @example
 * ```ts ignore
 * await updateDefinition(namespace, "report", (definition) =>
 *   definition.paused ? null : { ...definition, paused: true });
 * ```
 */
export async function updateDefinition(
  namespace: Pick<Namespace, "kv" | "names" | "maxPayload">,
  key: string,
  change: DefinitionChange,
  expectedRevision?: number,
  compile?: Compile,
): Promise<Definition> {
  const { value } = await changeEntry(
    namespace.kv,
    key,
    (entry) => {
      if (entry === null) throw notFound(namespace, key);
      return { entry, ...decodeDefinition(entry.value, compile) };
    },
    ({ entry, definition, specs }) => {
      const revision = definedRevision(definition, entry.revision);
      const changed = change(definition, specs, revision);
      if (changed === null) return null;
      return { entry, definition: { ...changed, revision }, specs };
    },
    ({ definition }) => encodeStored(namespace, key, definition, compile).bytes,
    expectedRevision,
  );
  return value.definition;
}

/**
 * Pauses `key` with `note` (who paused it, when, why). A key already paused keeps its
 * note; with `revision`, a key whose definition is not that one (it was replaced) is
 * left as it is. Returns true when this call paused it.
 *
 * @throws {NotFoundError} When the key does not exist.
 *
 * @example
 * ```ts ignore
 * await pauseDefinition(namespace, "report", {
 *   note: "vendor outage", at: new Date().toISOString(), by: "ops",
 * });
 * ```
 */
export async function pauseDefinition(
  namespace: Pick<Namespace, "kv" | "names" | "maxPayload">,
  key: string,
  note: PauseNote,
  revision?: number,
): Promise<boolean> {
  let paused = false;
  await updateDefinition(
    namespace,
    key,
    ({ by: _, ...definition }, _specs, of) => {
      paused = !definition.paused && (revision ?? of) === of;
      return paused
        ? {
          ...definition,
          paused: true,
          pause: note,
          ...(note.by === undefined ? {} : { by: note.by }),
        }
        : null;
    },
  );
  return paused;
}

function notFound(
  namespace: Pick<Namespace, "names">,
  key: string,
): NotFoundError {
  return new NotFoundError(
    `no schedule ${quoted(key)} in namespace ${namespace.names.namespace}`,
  );
}
