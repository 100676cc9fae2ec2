/**
 * Private helpers of the job checks.
 *
 * @module
 */

import { InvalidJobError } from "../errors.ts";

/**
 * Throws when `value` has a field not in `known`, naming it and those known (`what`
 * names the object: `job`, `policy`, `HTTP option`).
 *
 * @throws {InvalidJobError} On an unknown field.
 */
export function refuseUnknownFields(
  what: string,
  value: object,
  known: ReadonlySet<string>,
): void {
  for (const field of Object.keys(value)) {
    if (!known.has(field)) {
      throw new InvalidJobError(
        `${what}: unknown field "${field}" (known: ${[...known].join(", ")})`,
      );
    }
  }
}
