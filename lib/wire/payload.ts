/**
 * The size limit NATS puts on every message.
 *
 * @module
 */

import { PayloadTooLargeError } from "../errors.ts";

/**
 * Throws when an encoded value, sent with the `Nats-Msg-Id` header `msgId` when given, is
 * larger than the server accepts (`max_payload`, which counts the headers too).
 *
 * @throws {PayloadTooLargeError} Naming `what` and both sizes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PayloadTooLargeError } from "../errors.ts";
 * import { assertFits } from "./payload.ts";
 * assertFits(new Uint8Array(10), 1024 * 1024, "definition of test"); // ok
 * assert.throws(
 *   () => assertFits(new Uint8Array(1000), 1024, "a tick", "beta.k.0.1700000000000"),
 *   PayloadTooLargeError,
 * );
 * ```
 */
export function assertFits(
  bytes: Uint8Array,
  maxPayload: number,
  what: string,
  msgId?: string,
): void {
  const size = bytes.length +
    (msgId === undefined
      ? 0
      : encoder.encode(`NATS/1.0\r\nNats-Msg-Id: ${msgId}\r\n\r\n`).length);
  if (size > maxPayload) {
    throw new PayloadTooLargeError(
      `${what} is ${size} bytes; the NATS server accepts at most ${maxPayload}: ` +
        `make the option smaller or split the jobs over several keys`,
    );
  }
}

const encoder = new TextEncoder();
