/**
 * The time stamps NATS servers send: RFC 3339 with up to nanoseconds.
 *
 * @module
 */

const TIMESTAMP = /^(.*:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/;

/**
 * An RFC 3339 time stamp in epoch ms, keeping the fraction of a millisecond that
 * `Date.parse` drops.
 *
 * @throws {Error} When `text` is not such a time stamp.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTimestamp } from "./timestamp.ts";
 * assert.equal(parseTimestamp("1970-01-01T00:00:01.0025Z"), 1002.5);
 * ```
 */
export function parseTimestamp(text: string): number {
  const match = TIMESTAMP.exec(text);
  const ms = match ? Date.parse(match[1] + match[3]) : NaN;
  if (isNaN(ms)) throw new Error(`not a time stamp: ${text}`);
  return ms + Number(`0.${match![2] ?? 0}`) * 1000;
}
