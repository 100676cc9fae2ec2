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
  let count = 0;
  for (let i = 0; i < reply.length && count < DOTS.length; i++) {
    if (reply.charCodeAt(i) === DOT) DOTS[count++] = i;
  }
  // The old form has 9 tokens; the new one 11 or 12.
  const first = count === 8 ? 4 : 6;
  if (
    reply.startsWith("$JS.ACK.") && count >= first + 4 && count <= first + 5
  ) {
    const delivery = {
      streamSeq: wholeAfter(reply, count, first),
      consumerSeq: wholeAfter(reply, count, first + 1),
      // Nanoseconds: all but the last six digits are the milliseconds.
      created: wholeAfter(reply, count, first + 2, 6),
      pending: wholeAfter(reply, count, first + 3),
    };
    if (
      delivery.streamSeq >= 0 && delivery.consumerSeq >= 0 &&
      delivery.created >= 0 && delivery.pending >= 0
    ) return delivery;
  }
  throw new Error(`not a JetStream message: ${reply}`);
}

/** The dots of the reply subject read last: no array made for each. */
const DOTS = new Int32Array(12);
const DOT = 46;

/**
 * The whole number in `text` after its dot `i` (of `count`, at `DOTS[i]`), less its last
 * `drop` digits; -1 when the token is not digits.
 */
function wholeAfter(text: string, count: number, i: number, drop = 0): number {
  const to = (i + 1 < count ? DOTS[i + 1] : text.length) - drop;
  let from = DOTS[i] + 1;
  if (from >= to) return -1;
  let whole = 0;
  for (; from < to; from++) {
    const digit = text.charCodeAt(from) - 48;
    if (digit < 0 || digit > 9) return -1;
    whole = whole * 10 + digit;
  }
  return whole;
}
