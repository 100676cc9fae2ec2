/**
 * Changing one KV entry safely among concurrent writers: read, change, write with a
 * revision check, and start again when another writer came first.
 *
 * @module
 */

import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import type { KV, KvEntry } from "@nats-io/kv";

/** What {@link changeEntry} wrote, or found when there was nothing to change. */
export interface Changed<T> {
  /** The value now: the one written, else the one read. */
  value: T;
  /** True when `change` asked for a write and it was made. */
  written: boolean;
}

/**
 * Reads `key` (`null` when absent, deleted or purged), decodes it with `read`, applies
 * `change` (`null`: nothing to write) and writes the result with `encode`, on condition
 * that the entry is still at the revision read (created when it did not exist). When
 * another writer came first the whole round starts again, unless `expectedRevision` was
 * given: then the entry must be at that revision, else the conflict is thrown.
 *
 * @throws {JetStreamApiError} On a conflict with `expectedRevision`; whatever `read` or
 * `change` throw.
 *
 * @example
 * ```ts ignore
 * const counted = await changeEntry(kv, "count", (entry) =>
 *   entry === null ? 0 : Number(new TextDecoder().decode(entry.value)),
 *   (n) => n + 1, (n) => new TextEncoder().encode(String(n)));
 * ```
 */
export async function changeEntry<T>(
  kv: KV,
  key: string,
  read: (entry: KvEntry | null) => T,
  change: (value: T) => T | null,
  encode: (value: T) => Uint8Array,
  expectedRevision?: number,
): Promise<Changed<T>> {
  for (;;) {
    const entry = await kv.get(key);
    const found = entry === null || entry.operation !== "PUT" ? null : entry;
    const current = read(found);
    const next = change(current);
    if (next === null) return { value: current, written: false };
    try {
      if (entry === null && expectedRevision === undefined) {
        await kv.create(key, encode(next));
      } else {
        await kv.update(
          key,
          encode(next),
          expectedRevision ?? entry!.revision,
        );
      }
      return { value: next, written: true };
    } catch (err) {
      if (expectedRevision !== undefined || !isConflict(err)) throw err;
    }
  }
}

/** True when a write failed because the entry is not at the revision expected. */
export function isConflict(err: unknown): boolean {
  return err instanceof JetStreamApiError &&
    err.code === JetStreamApiCodes.StreamWrongLastSequence;
}
