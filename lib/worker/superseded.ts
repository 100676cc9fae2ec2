/**
 * Whether a tick's definition was removed or replaced since it was fired.
 *
 * @module
 */

import type { KvEntry } from "@nats-io/kv";
import { storedRevision } from "../wire/mod.ts";
import type { Namespace } from "../nats/namespace.ts";
import type { Logger } from "../ops/log.ts";
import type { Tick } from "../types.ts";

/**
 * Why `tick` must not run: its definition was removed or replaced (a `set`; a pause or
 * resume keeps it) since the tick. `null` when it may run: the definition is the
 * tick's, the tick carries no revision (an older node's), or the bucket cannot be read
 * now (logged; the tick runs rather than being lost).
 */
export async function superseded(
  namespace: Namespace,
  log: Logger,
  tick: Tick,
): Promise<string | null> {
  if (tick.revision === undefined) return null;
  let entry: KvEntry | null;
  try {
    entry = await namespace.kv.get(tick.key);
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
