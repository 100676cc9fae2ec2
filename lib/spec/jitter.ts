/**
 * The jitter of a tick: a delay in [0, jitter) that every node computes alike, so the
 * tick's message id (by scheduled time) and the stream's deduplication still hold.
 *
 * @module
 */

import type { JobPolicy } from "../types.ts";
import { parseDuration } from "./duration.ts";

/**
 * FNV-1a, 32 bits, over the UTF-16 code units of `text` (for the ASCII of namespaces, keys
 * and numbers: its bytes). Synchronous and cheap, unlike `crypto.subtle`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fnv1a32 } from "./jitter.ts";
 * assert.equal(fnv1a32(""), 0x811c9dc5);
 * assert.equal(fnv1a32("foobar"), 0xbf9cf968);
 * ```
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  }
  return hash >>> 0;
}

/**
 * The delay of one tick, in whole ms in [0, `jitter`): FNV-1a of the tick's message id
 * (`<namespace>.<key>.<index>.<scheduledAt ms>`, see `NamespaceNames.tickId`) modulo the
 * jitter in whole ms. 0 when the jitter is under 1 ms.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fnv1a32, jitterOffset } from "./jitter.ts";
 * const id = "beta.report.0.1798761600000";
 * assert.equal(jitterOffset(id, 30_000), fnv1a32(id) % 30_000);
 * assert.ok(jitterOffset(id, 30_000) < 30_000);
 * assert.equal(jitterOffset(id, 0), 0);
 * ```
 */
export function jitterOffset(tickId: string, jitter: number): number {
  const ms = Math.floor(jitter);
  return ms < 1 ? 0 : fnv1a32(tickId) % ms;
}

/**
 * The jitter of a job's `policy`, in whole ms (0: none): what the node delays its ticks by
 * at most, and what a backfill reckons with.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { policyJitter } from "./jitter.ts";
 * assert.equal(policyJitter({ jitter: "1.5s" }), 1500);
 * assert.equal(policyJitter(undefined), 0);
 * ```
 */
export function policyJitter(policy: JobPolicy | undefined): number {
  return Math.floor(parseDuration(policy?.jitter ?? "0"));
}
