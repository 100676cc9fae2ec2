/**
 * The definitions bucket a node watches, created when missing (its deletion or recreation
 * is noticed by `whileSame`).
 *
 * @module
 */

import type { StreamInfo } from "@nats-io/jetstream";
import type { Namespace } from "../nats/namespace.ts";
import type { Logger } from "../ops/log.ts";

/** The bucket's stream, created first when it is missing (logged). */
export async function openBucket(
  namespace: Namespace,
  log: Logger,
): Promise<StreamInfo> {
  let info = await namespace.bucketInfo();
  if (info === null) {
    await namespace.provisionBucket();
    log.warn("the definitions bucket was missing; created it");
    info = (await namespace.bucketInfo())!;
  }
  return info;
}
