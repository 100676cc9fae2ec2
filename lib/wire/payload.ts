/**
 * The size limit NATS puts on every message.
 *
 * @module
 */

import { PayloadTooLargeError } from "../errors.ts";

/**
 * Throws when an encoded value is larger than the server accepts (`max_payload`).
 *
 * @throws {PayloadTooLargeError} Naming `what` and both sizes.
 *
 * @example
 * ```ts
 * import { assertFits } from "./payload.ts";
 * assertFits(new Uint8Array(10), 1024 * 1024, "definition of test"); // ok
 * ```
 */
export function assertFits(
  bytes: Uint8Array,
  maxPayload: number,
  what: string,
): void {
  if (bytes.length > maxPayload) {
    throw new PayloadTooLargeError(
      `${what} is ${bytes.length} bytes; the NATS server accepts at most ${maxPayload}: ` +
        `make the option smaller or split the jobs over several keys`,
    );
  }
}
