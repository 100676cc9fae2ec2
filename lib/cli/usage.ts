/**
 * The error of bad command-line arguments.
 *
 * @module
 */

import { ScheduleError } from "../errors.ts";
import { wholeNumberOf } from "../_util.ts";

/**
 * Bad command-line arguments: the command line prints the problem and how to get the
 * command's help, and exits with 2.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ScheduleError } from "../errors.ts";
 * import { UsageError } from "./usage.ts";
 *
 * const err = new UsageError("-n takes a whole number");
 * assert.ok(err instanceof ScheduleError);
 * assert.equal(err.name, "UsageError");
 * ```
 */
export class UsageError extends ScheduleError {}

/**
 * The whole number `text` given to `flag`, `min` or more: digits only, not what `Number`
 * also reads (`""` as 0, `0x1`, `1e0`).
 *
 * @throws {UsageError} When it is not.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wholeNumber } from "./usage.ts";
 * assert.equal(wholeNumber("--index", "2"), 2);
 * assert.throws(() => wholeNumber("--index", ""), /--index takes a whole number, 0 or more/);
 * assert.throws(() => wholeNumber("-n", "0", 1), /-n takes a whole number/);
 * ```
 */
export function wholeNumber(flag: string, text: string, min = 0): number {
  const value = wholeNumberOf(text);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new UsageError(
      `${flag} takes a whole number${min === 0 ? ", 0 or more" : ""}`,
    );
  }
  return value;
}
