/**
 * The jitter of a tick: a delay in [0, jitter) that every node computes alike, so the
 * tick's message id (by scheduled time) and the stream's deduplication still hold.
 *
 * @module
 */

import type { JobPolicy } from "../types.ts";
import { parseDuration } from "./duration.ts";
import type { Spec } from "./spec.ts";

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
 * When the tick of `spec` scheduled at `at` is sent: `at` plus its delay
 * ({@link jitterOffset} of its message id `tickId`), a delay under `jitter` and under the
 * time to the spec's next tick, so that a job's ticks go out in their order, each at its
 * own time, whatever the jitter. `anchor` is where `@every` counts from.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fnv1a32, sendTime } from "./jitter.ts";
 * import { parseSpec } from "./spec.ts";
 * const id = "beta.report.0.1000";
 * assert.equal(sendTime(parseSpec("@every 1m"), 0, id, 1000, 30_000), 1000 + fnv1a32(id) % 30_000);
 * assert.equal(sendTime(parseSpec("@every 1s"), 0, id, 1000, 30_000), 1000 + fnv1a32(id) % 1000);
 * assert.equal(sendTime(parseSpec("@every 1s"), 0, id, 1000, 0), 1000);
 * ```
 */
export function sendTime(
  spec: Spec,
  anchor: number,
  tickId: string,
  at: number,
  jitter: number,
): number {
  if (jitter < 1) return at;
  const next = spec.next(at, anchor);
  const room = next === null ? jitter : Math.min(jitter, next - at);
  return at + jitterOffset(tickId, room);
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
