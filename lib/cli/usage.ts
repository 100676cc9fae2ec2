/**
 * The error of bad command-line arguments.
 *
 * @module
 */

import { ScheduleError } from "../errors.ts";

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
