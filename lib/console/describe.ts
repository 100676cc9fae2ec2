/**
 * A human description of a spec: cronstrue for cron fields (it reads the 6-field form
 * with seconds), our own words for descriptors and `@every`.
 *
 * @module
 */

import cronstrue from "cronstrue";

const DESCRIPTORS: Record<string, string> = {
  "@yearly": "At 00:00, on January 1",
  "@annually": "At 00:00, on January 1",
  "@monthly": "At 00:00, on day 1 of the month",
  "@weekly": "At 00:00, on Sunday",
  "@daily": "At 00:00, every day",
  "@midnight": "At 00:00, every day",
  "@hourly": "Every hour, at minute 0",
};

/**
 * Describes `spec` in English; the zone prefix (`CRON_TZ=`) is left out, the zone being
 * shown apart. An empty string when the spec cannot be described.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeSpec } from "./describe.ts";
 * assert.equal(describeSpec("0 30 9 * * MON-FRI"), "At 09:30, Monday through Friday");
 * assert.equal(describeSpec("CRON_TZ=Europe/Paris @every 1h30m"), "Every 1h30m");
 * assert.equal(describeSpec("@daily"), "At 00:00, every day");
 * ```
 */
export function describeSpec(spec: string): string {
  const text = spec.trim().replace(/^(CRON_)?TZ=\S+\s+/, "");
  const every = /^@every\s+(\S+)$/.exec(text);
  if (every) return `Every ${every[1]}`;
  if (text.startsWith("@")) return DESCRIPTORS[text] ?? "";
  try {
    return cronstrue.toString(text, {
      use24HourTimeFormat: true,
      throwExceptionOnParseError: true,
    });
  } catch {
    return "";
  }
}
