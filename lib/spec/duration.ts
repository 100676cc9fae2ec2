/**
 * Go's duration syntax (`15s`, `1m30s`, `1.5h`, `500ms`), as `@every` and timeouts use it.
 *
 * @module
 */

import { InvalidSpecError } from "../errors.ts";

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const DURATION = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const PART = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;

/**
 * Parses a duration written as Go's `time.ParseDuration` reads it, into milliseconds.
 *
 * A sign may lead; parts are decimal numbers with a unit (`ns`, `us`, `µs`, `ms`, `s`,
 * `m`, `h`) and add up. A lone `0` is zero, as in Go.
 *
 * @param text The duration, such as `1m30s`.
 * @returns The duration in milliseconds, possibly fractional or negative.
 * @throws {InvalidSpecError} When the text is not a Go duration.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./duration.ts";
 * parseDuration("1m30s"); // 90000
 * parseDuration("1.5h"); // 5400000
 * ```
 */
export function parseDuration(text: string): number {
  if (text === "0" || text === "+0" || text === "-0") return 0;
  if (!DURATION.test(text)) {
    throw new InvalidSpecError(
      `invalid duration "${text}": expected a Go duration such as 15s, 1m30s or 1.5h`,
    );
  }
  let ms = 0;
  for (const [, value, unit] of text.matchAll(PART)) {
    ms += Number(value) * UNIT_MS[unit];
  }
  return text.startsWith("-") ? -ms : ms;
}
