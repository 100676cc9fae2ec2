/**
 * Whether a tick's definition was removed or replaced since it was fired.
 *
 * @module
 */

import type { KvEntry } from "@nats-io/kv";
import { storedRevision } from "../wire/mod.ts";
import type { Namespace } from "../nats/namespace.ts";
import type { StreamSender } from "../nats/stream_sender.ts";
import type { Logger } from "../ops/log.ts";
import type { Tick } from "../types.ts";

/** What the check reads of a key's last entry in the definitions bucket. */
export type DefinitionEntry = Pick<KvEntry, "operation" | "revision" | "value">;

/** Reads the last entry of a key in the definitions bucket, `null` when it has none. */
export type ReadDefinition = (key: string) => Promise<DefinitionEntry | null>;

/**
 * Reads a key's last entry with a direct get through `reader`, a sender on the bucket's
 * stream (about 9 µs of the worker's time, where `kv.get` takes about 31: a request of its
 * own with a timer and traces); with `kv.get` when that fails (NATS down, which `kv.get`
 * waits out as before; a bucket without direct gets).
 *
 * @example
 * ```ts ignore
 * const reader = new StreamSender(nc, `KV_${namespace.names.bucket}`, 5000);
 * const read = definitionReader(reader, namespace);
 * const entry = await read("test");
 * ```
 */
export function definitionReader(
  reader: Pick<StreamSender, "last">,
  namespace: Pick<Namespace, "kv" | "names">,
): ReadDefinition {
  const prefix = `$KV.${namespace.names.bucket}.`;
  return async (key) => {
    let stored;
    try {
      stored = await reader.last(prefix + key);
    } catch {
      return await namespace.kv.get(key);
    }
    if (stored === null) return null;
    const operation = stored.headers?.get("KV-Operation") || "PUT";
    return {
      operation: operation as KvEntry["operation"],
      revision: Number(stored.headers?.get("Nats-Sequence")),
      value: stored.data,
    };
  };
}

/**
 * Why `tick` must not run: its definition was removed or replaced (a `set`; a pause or
 * resume keeps it) since the tick. `null` when it may run: the definition is the
 * tick's, the tick carries no revision (an older node's), or the bucket cannot be read
 * now (logged; the tick runs rather than being lost).
 */
export async function superseded(
  read: ReadDefinition,
  log: Logger,
  tick: Tick,
): Promise<string | null> {
  if (tick.revision === undefined) return null;
  let entry: DefinitionEntry | null;
  try {
    entry = await read(tick.key);
  } catch (err) {
    log.warn("cannot read the definition; running the tick", {
      key: tick.key,
      error: (err as Error).message,
    });
    return null;
  }
  if (entry === null || entry.operation !== "PUT") {
    return `definition removed since revision ${tick.revision}`;
  }
  if (entry.revision === tick.revision) return null;
  const current = storedRevision(entry.value, entry.revision);
  return current === tick.revision
    ? null
    : `definition replaced: revision ${tick.revision} by ${current}`;
}
