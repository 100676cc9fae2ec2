/**
 * Go's duration syntax (`15s`, `1m30s`, `1.5h`, `500ms`), as `@every` and timeouts use it.
 *
 * @module
 */

import { InvalidSpecError } from "../errors.ts";

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  "µs": 1_000n,
  "μs": 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const LIMIT = 1n << 63n;
/** The largest Go duration, as Go prints it: int64 nanoseconds. */
export const MAX_DURATION = "2562047h47m16.854775807s";
/** One part: digits, an optional fraction, then a unit (anything up to the next digit or dot). */
const PART = /^(\d*)(?:\.(\d*))?([^\d.]*)/;

/**
 * Parses a duration exactly as Go's `time.ParseDuration` does, into whole nanoseconds.
 *
 * A sign may lead; parts are decimal numbers with a unit (`ns`, `us`, `µs`, `ms`, `s`,
 * `m`, `h`) and add up; a fraction is cut to whole nanoseconds, part by part. A lone `0`
 * is zero. Durations beyond Go's int64 range (±{@link MAX_DURATION}) are errors.
 *
 * @throws {InvalidSpecError} When the text is not a Go duration, or is out of range.
 *
 * @example
 * ```ts
 * import { strictEqual as assertEquals } from "node:assert/strict";
 * import { parseNanoseconds } from "./duration.ts";
 * assertEquals(parseNanoseconds("1.5us"), 1500n);
 * assertEquals(parseNanoseconds("0.6ns"), 0n);
 * ```
 */
export function parseNanoseconds(text: string): bigint {
  const negative = text.startsWith("-");
  let rest = text.startsWith("+") || negative ? text.slice(1) : text;
  if (rest === "0") return 0n;
  if (rest === "") throw invalid(text);
  let total = 0n;
  while (rest !== "") {
    const [part, whole, fraction = "", unit] = PART.exec(rest)!;
    if (whole === "" && fraction === "" || !Object.hasOwn(UNIT_NS, unit)) {
      throw invalid(text);
    }
    total += partNanoseconds(text, whole, fraction, UNIT_NS[unit]);
    if (total > LIMIT) throw outOfRange(text);
    rest = rest.slice(part.length);
  }
  if (!negative && total === LIMIT) throw outOfRange(text);
  return negative ? -total : total;
}

/**
 * Parses a Go duration into milliseconds, possibly fractional or negative.
 *
 * @throws {InvalidSpecError} When the text is not a Go duration.
 *
 * @example
 * ```ts
 * import { strictEqual as assertEquals } from "node:assert/strict";
 * import { parseDuration } from "./duration.ts";
 * assertEquals(parseDuration("1m30s"), 90_000);
 * assertEquals(parseDuration("1.5h"), 5_400_000);
 * ```
 */
export function parseDuration(text: string): number {
  return Number(parseNanoseconds(text)) / 1e6;
}

/** One part's nanoseconds; the fraction goes through a float, as in Go. */
function partNanoseconds(
  text: string,
  whole: string,
  fraction: string,
  unit: bigint,
): bigint {
  const value = whole === "" ? 0n : BigInt(whole);
  if (value > LIMIT / unit) throw outOfRange(text);
  // Go reads fraction digits while they fit an int64, then scales through a float.
  let digits = 0n, scale = 1;
  for (const digit of fraction) {
    const next = digits * 10n + BigInt(digit);
    if (digits > (LIMIT - 1n) / 10n || next > LIMIT) break;
    digits = next;
    scale *= 10;
  }
  const scaled = Number(digits) * (Number(unit) / scale);
  return value * unit + BigInt(Math.trunc(scaled));
}

function invalid(text: string): InvalidSpecError {
  return new InvalidSpecError(
    `invalid duration "${text}": expected a Go duration such as 15s, 1m30s or 1.5h`,
  );
}

function outOfRange(text: string): InvalidSpecError {
  return new InvalidSpecError(
    `duration "${text}" is out of range: at most ${MAX_DURATION} (about 292 years)`,
  );
}
