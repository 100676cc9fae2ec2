/**
 * The health of the definitions bucket under a watch: created when missing, and checked
 * now and then for a deletion or a recreation the KV watch does not notice.
 *
 * @module
 */

import type { StreamInfo } from "@nats-io/jetstream";
import type { Namespace } from "../nats/namespace.ts";
import type { Logger } from "../ops/log.ts";

/** How often the bucket's stream is checked for a deletion or a recreation, in ms. */
export const BUCKET_CHECK = 3000;

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

/**
 * Every {@link BUCKET_CHECK} ms, checks that the bucket found at `created` is still the
 * one watched up to `revision()`, and calls `changed` with why when it is not. Returns
 * the function that ends the checks.
 */
export function checkBucket(
  namespace: Namespace,
  created: string,
  revision: () => number,
  changed: (reason: string) => void,
): () => void {
  const check = setInterval(async () => {
    const reason = await bucketChanged(namespace, created, revision());
    if (reason !== null) changed(reason);
  }, BUCKET_CHECK);
  return () => clearInterval(check);
}

/**
 * Why the bucket found at `created` is no longer the one watched up to `revision`, or
 * `null` when it still is (or cannot be read now).
 */
async function bucketChanged(
  namespace: Namespace,
  created: string,
  revision: number,
): Promise<string | null> {
  let info;
  try {
    info = await namespace.bucketInfo();
  } catch {
    return null; // unreachable for now: checked again later
  }
  if (info === null) return "the definitions bucket was deleted";
  if (info.created !== created) return "the definitions bucket was recreated";
  if (info.state.last_seq < revision) {
    return "the definitions bucket's sequence went back";
  }
  return null;
}
