/**
 * Whether a tick's definition was removed or replaced since it was fired, and what runs
 * then.
 *
 * @module
 */

import type { KvEntry } from "@nats-io/kv";
import { storedRevision } from "../wire/mod.ts";
import type { Namespace } from "../nats/namespace.ts";
import type { NamespaceNames } from "../nats/names.ts";
import type { StreamSender } from "../nats/stream_sender.ts";
import type { Logger } from "../ops/log.ts";
import type { Tick } from "../types.ts";
import { replacementTick } from "./replacement.ts";
import { tickFields } from "./_util.ts";

/** What the check reads of a key's last entry in the definitions bucket. */
export type DefinitionEntry = Pick<
  KvEntry,
  "operation" | "revision" | "value" | "created"
>;

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
      created: new Date(stored.headers?.get("Nats-Time-Stamp") ?? ""),
      value: stored.data,
    };
  };
}

/** What a worker runs for a tick: `tick`, or nothing, for the reason `superseded`. */
export type Standing = { tick: Tick } | { superseded: string };

/**
 * What runs for `tick`: the tick itself when its definition is the current one, the tick
 * carries no revision (an older node's), or the bucket cannot be read now (logged; the
 * tick runs rather than being lost). When its definition was replaced (a `set`; a pause
 * or resume keeps it), the replacing definition's tick at the same time and index, if
 * it has one (a `set` that raced the nodes; see {@link replacementTick}), logged. Else
 * nothing, and why: its definition was removed, or replaced by one without that tick.
 */
export async function standing(
  read: ReadDefinition,
  names: NamespaceNames,
  log: Logger,
  tick: Tick,
): Promise<Standing> {
  if (tick.revision === undefined) return { tick };
  let entry: DefinitionEntry | null;
  try {
    entry = await read(tick.key);
  } catch (err) {
    log.warn("cannot read the definition; running the tick", {
      key: tick.key,
      error: (err as Error).message,
    });
    return { tick };
  }
  if (entry === null || entry.operation !== "PUT") {
    return { superseded: `definition removed since revision ${tick.revision}` };
  }
  if (entry.revision === tick.revision) return { tick };
  const current = storedRevision(entry.value, entry.revision);
  if (current === tick.revision) return { tick };
  const replacing = replacementTick(tick, entry, names);
  if (replacing === null) {
    return {
      superseded:
        `definition replaced: revision ${tick.revision} by ${current}`,
    };
  }
  log.info("tick of a replaced definition runs as its replacement's", {
    ...tickFields(tick),
    revision: tick.revision,
    replacedBy: replacing.revision,
  });
  return { tick: replacing };
}
