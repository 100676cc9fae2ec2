/**
 * Private helpers of the NATS layer.
 *
 * @module
 */

/** The numbers of a JetStream message's reply subject (`$JS.ACK.…`). */
export interface Delivery {
  streamSeq: number;
  consumerSeq: number;
  /** When it was stored, in epoch ms. */
  created: number;
  pending: number;
}

/**
 * Reads the delivery of a reply subject without splitting it: `$JS.ACK.<stream>.
 * <consumer>.<delivered>.<stream seq>.<consumer seq>.<ns>.<pending>`, or with
 * `<domain>.<account hash>.` after `$JS.ACK.` and perhaps a random token at the end.
 *
 * @throws {Error} When `reply` is not such a subject.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deliveryOf } from "./_util.ts";
 * const reply = "$JS.ACK.KV_b.C1.1.7.3.1795807016145565340.12";
 * assert.deepEqual(deliveryOf(reply), {
 *   streamSeq: 7,
 *   consumerSeq: 3,
 *   created: 1795807016145,
 *   pending: 12,
 * });
 * ```
 */
export function deliveryOf(reply: string): Delivery {
  const dots: number[] = [];
  for (
    let at = reply.indexOf(".");
    at !== -1;
    at = reply.indexOf(".", at + 1)
  ) {
    dots.push(at);
  }
  // The old form has 9 tokens; the new one 11 or 12.
  const first = dots.length === 8 ? 4 : 6;
  if (!reply.startsWith("$JS.ACK.") || dots.length < first + 4) {
    throw new Error(`not a JetStream message: ${reply}`);
  }
  const ns = tokenAfter(reply, dots, first + 2);
  const delivery = {
    streamSeq: Number(tokenAfter(reply, dots, first)),
    consumerSeq: Number(tokenAfter(reply, dots, first + 1)),
    // Nanoseconds: all but the last six digits are the milliseconds.
    created: Number(ns.substring(0, ns.length - 6)),
    pending: Number(tokenAfter(reply, dots, first + 3)),
  };
  const { streamSeq, consumerSeq, created, pending } = delivery;
  if (
    ns.length > 6 && isWhole(streamSeq) && isWhole(consumerSeq) &&
    isWhole(created) && isWhole(pending)
  ) return delivery;
  throw new Error(`not a JetStream message: ${reply}`);
}

function isWhole(n: number): boolean {
  return Number.isInteger(n) && n >= 0;
}

/** The token of `text` after its dot `i` (at `dots[i]`). */
function tokenAfter(text: string, dots: number[], i: number): string {
  return text.substring(dots[i] + 1, dots[i + 1] ?? text.length);
}
