/**
 * The report each node publishes several times a second on `schedule.<ns>.nodes`: who it
 * counts as members, and how far it has sent and stored the ticks it owns. A backup reads
 * its owner's report instead of publishing a copy of each tick.
 *
 * @module
 */

import { isRecord, jsonOf } from "../_util.ts";

/** One node's report. Times are the server's, in epoch ms. */
export interface Report {
  /** The node's member id: its name and a random suffix. */
  id: string;
  /** Its view: a hash of the ids of the nodes it counts as members, itself included. */
  view: number;
  /** When its view last changed. */
  since: number;
  /** Every tick it owns whose send time is at or before this is sent. */
  sent: number;
  /** Every tick it owns whose send time is at or before this is stored (acknowledged). */
  stored: number;
  /**
   * While it sends a herd in slices, when that firing began: every tick it owns whose
   * send time is at or before this is being sent. Absent between firings, and in the
   * reports of older nodes.
   */
  firing?: number;
  /**
   * How many of its publishes the stream has acknowledged since it started: while this
   * grows, the node is storing. Absent in the reports of older nodes.
   */
  acked?: number;
  /**
   * When it made the report, on the server's clock: how late the report is heard says
   * how far behind the node's connection is. Absent in the reports of older nodes.
   */
  at?: number;
  /** The definitions bucket it follows: when that was created (`""` while loading). */
  bucket: string;
  /** The bucket revision it has applied: every definition stored by then is queued. */
  revision: number;
  /** True in the last report of a node that stops. */
  left?: boolean;
}

const encoder = new TextEncoder();

/** The bytes of a report. */
export function encodeReport(report: Report): Uint8Array {
  return encoder.encode(JSON.stringify(report));
}

const NUMBERS = ["view", "since", "sent", "stored", "revision"] as const;
/** The numbers a report may lack (an older node's). */
const OPTIONAL_NUMBERS = ["firing", "acked", "at"] as const;

/**
 * The report in `data`, or `null` when it is not one (a stray or foreign message).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeReport, encodeReport, type Report } from "./report.ts";
 * const report: Report = {
 *   id: "n1:ab12", view: 7, since: 1, sent: 5, stored: 4, firing: 6, acked: 3, at: 8,
 *   bucket: "x", revision: 9,
 * };
 * assert.deepEqual(decodeReport(encodeReport(report)), report);
 * assert.equal(decodeReport(new TextEncoder().encode('{"id":1}')), null);
 * assert.equal(decodeReport(new TextEncoder().encode("nope")), null);
 * ```
 */
export function decodeReport(data: Uint8Array): Report | null {
  const value = jsonOf(data);
  if (
    !isRecord(value) || typeof value.id !== "string" ||
    typeof value.bucket !== "string" ||
    NUMBERS.some((field) => typeof value[field] !== "number") ||
    OPTIONAL_NUMBERS.some((field) =>
      value[field] !== undefined && typeof value[field] !== "number"
    ) ||
    (value.left !== undefined && typeof value.left !== "boolean")
  ) return null;
  return value as unknown as Report;
}
