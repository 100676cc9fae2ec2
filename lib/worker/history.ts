/**
 * Writing executions to the namespace's run history.
 *
 * @module
 */

import { encodeRunRecord } from "../wire/mod.ts";
import type { Logger } from "../ops/log.ts";
import type { Namespace } from "../nats/namespace.ts";
import type { RunRecord } from "../types.ts";

/**
 * Writes `record` to the run history stream, on the subject of its job. When that fails
 * (the connection is gone, the stream is unavailable) the run is logged as not recorded,
 * and the execution goes on: the history is a record, not part of the delivery.
 *
 * @example
 * ```ts ignore
 * import { Namespace } from "../nats/namespace.ts";
 * import { createLogger } from "../ops/log.ts";
 * import { writeRun } from "./history.ts";
 * const namespace = await Namespace.open(nc, "beta");
 * await writeRun(namespace, createLogger(), record);
 * ```
 */
export async function writeRun(
  namespace: Pick<Namespace, "js" | "names">,
  log: Logger,
  record: RunRecord,
): Promise<void> {
  const { js, names } = namespace;
  try {
    await js.publish(
      names.runSubject(record.key, record.index),
      encodeRunRecord(record),
    );
  } catch (err) {
    log.warn("run not recorded in the history", {
      key: record.key,
      index: record.index,
      scheduledAt: record.scheduledAt.toISOString(),
      error: (err as Error).message,
    });
  }
}
