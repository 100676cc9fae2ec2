/**
 * One cron field (`*`, `5`, `1-5`, `*\/15`, `MON-FRI`, lists of those) compiled to a
 * {@link Bitmask}, with robfig/cron v3's rules.
 *
 * @module
 */

import { Bitmask } from "./bitmask.ts";
import { InvalidSpecError } from "../errors.ts";

/** What a field may hold. */
export interface FieldBounds {
  /** The field's name in error messages. */
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Where `*` and `N/step` end (below `max` only for day of week, whose 7 is Sunday). */
  readonly last: number;
  /** Lower-case names, such as `jan` → 1. */
  readonly names?: ReadonlyMap<string, number>;
}

/** A compiled field. */
export interface Field {
  readonly mask: Bitmask;
  /** robfig's "star bit": an item is `*` or `?` with no step or a step of 1. */
  readonly star: boolean;
}

const MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug"]
  .concat(["sep", "oct", "nov", "dec"]);
const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/** The six fields in order: second, minute, hour, day of month, month, day of week. */
export const FIELDS: readonly FieldBounds[] = [
  { name: "second", min: 0, max: 59, last: 59 },
  { name: "minute", min: 0, max: 59, last: 59 },
  { name: "hour", min: 0, max: 23, last: 23 },
  { name: "day of month", min: 1, max: 31, last: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    last: 12,
    names: new Map(MONTH_NAMES.map((name, i) => [name, i + 1])),
  },
  {
    name: "day of week",
    min: 0,
    max: 7,
    last: 6,
    names: new Map(DAY_NAMES.map((name, i) => [name, i])),
  },
];

const DAY_OF_WEEK = FIELDS[5];
const SUNDAY = Bitmask.range(0, 0, 1);
const INTEGER = /^[+-]?\d+$/;
const INT64_MAX = (1n << 63n) - 1n;

/**
 * Compiles one field. Items are separated by commas (empty items are skipped); an item is
 * `*` or `?` (a following `-…` is ignored), a number or name, or a range `a-b`, each
 * with an optional `/step`; `N/step` means `N-last/step`.
 *
 * @throws {InvalidSpecError} Naming `source`, the field and the item.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { FIELDS, parseField } from "./field.ts";
 * const field = parseField("0 0 0 * * MON-FRI", "MON-FRI", FIELDS[5]);
 * deepStrictEqual([field.mask.has(1), field.mask.has(6), field.star], [true, false, false]);
 * ```
 */
export function parseField(
  source: string,
  text: string,
  bounds: FieldBounds,
): Field {
  let mask = Bitmask.EMPTY;
  let star = false;
  for (const item of text.split(",")) {
    if (item === "") continue;
    const parsed = parseItem(item, bounds, (reason) =>
      new InvalidSpecError(
        `spec "${source}": "${item}" in the ${bounds.name} field ${reason}`,
      ));
    mask = mask.or(parsed.mask);
    star ||= parsed.star;
  }
  if (bounds === DAY_OF_WEEK && mask.has(7)) mask = mask.or(SUNDAY);
  return { mask, star };
}

function parseItem(
  item: string,
  bounds: FieldBounds,
  error: (reason: string) => InvalidSpecError,
): Field {
  const [range, stepText, ...slashes] = item.split("/");
  if (slashes.length > 0) throw error("has more than one /");
  const ends = range.split("-");
  const isStar = ends[0] === "*" || ends[0] === "?";
  let start = bounds.min, end = bounds.last;
  if (!isStar) {
    if (ends.length > 2) throw error("has more than one -");
    start = number(ends[0], bounds, error);
    end = ends.length === 2 ? rangeEnd(ends[1], start, bounds, error) : start;
  }
  const step = stepText === undefined ? 1 : integer(stepText, error);
  if (stepText !== undefined && ends.length === 1) {
    end = Math.max(bounds.last, start);
  }
  if (start < bounds.min) throw error(`starts below ${bounds.min}`);
  if (end > bounds.max) throw error(`ends above ${bounds.max}`);
  if (start > end) throw error(`starts after it ends`);
  if (step === 0) throw error("has a step of 0");
  return {
    mask: Bitmask.range(start, end, Math.min(step, 64)),
    star: isStar && step === 1,
  };
}

/** A range's end; `x-SUN` with x after Sunday ends at 7 (an extension to robfig). */
function rangeEnd(
  text: string,
  start: number,
  bounds: FieldBounds,
  error: (reason: string) => InvalidSpecError,
): number {
  const end = number(text, bounds, error);
  const sunday = bounds === DAY_OF_WEEK && end === 0 && !INTEGER.test(text);
  return sunday && start > 0 ? 7 : end;
}

function number(
  text: string,
  bounds: FieldBounds,
  error: (reason: string) => InvalidSpecError,
): number {
  return bounds.names?.get(lowerAsGo(text)) ?? integer(text, error);
}

/**
 * `text` lower-cased as robfig's `strings.ToLower` does, one character for one: where
 * JavaScript's `toLowerCase` makes `İ` two (`i̇`), Go makes it `i`, so `FRİ` is Friday.
 */
function lowerAsGo(text: string): string {
  return text.replaceAll("İ", "i").toLowerCase();
}

/** A non-negative integer as Go's `strconv.Atoi` reads it (a sign may lead). */
function integer(
  text: string,
  error: (reason: string) => InvalidSpecError,
): number {
  if (!INTEGER.test(text)) throw error(`has "${text}", not a number or name`);
  const value = Number(text);
  if (value > 9e18 && BigInt(text) > INT64_MAX) {
    throw error(`has ${text}, beyond a 64-bit integer`);
  }
  if (value < 0) throw error(`has a negative number`);
  return value;
}
