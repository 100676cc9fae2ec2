/**
 * Proleptic Gregorian calendar arithmetic on day numbers (days since 1970-01-01), for any
 * year, without `Date`.
 *
 * @module
 */

/** Seconds in a calendar day of wall time. */
export const DAY = 86_400;

/**
 * The day number of a date (`month` 1–12).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { dayNumber } from "./calendar.ts";
 * strictEqual(dayNumber(1970, 1, 1), 0);
 * strictEqual(dayNumber(2000, 3, 1), 11_017);
 * ```
 */
export function dayNumber(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) +
    day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) -
    Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/**
 * The date of a day number, as `[year, month (1–12), day]`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { civilDate } from "./calendar.ts";
 * deepStrictEqual(civilDate(11_017), [2000, 3, 1]);
 * ```
 */
export function civilDate(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra -
    (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shifted = Math.floor((5 * dayOfYear + 2) / 153);
  const month = shifted < 10 ? shifted + 3 : shifted - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return [year, month, dayOfYear - Math.floor((153 * shifted + 2) / 5) + 1];
}

/**
 * The number of days in a month (`month` 1–12).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { daysInMonth } from "./calendar.ts";
 * strictEqual(daysInMonth(2100, 2), 28);
 * strictEqual(daysInMonth(2000, 2), 29);
 * ```
 */
export function daysInMonth(year: number, month: number): number {
  if (month !== 2) return 30 + ((month + (month >> 3)) & 1);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return leap ? 29 : 28;
}

/**
 * The day of the week of a day number, 0 (Sunday) to 6.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { weekday } from "./calendar.ts";
 * strictEqual(weekday(0), 4); // 1970-01-01 was a Thursday
 * ```
 */
export function weekday(days: number): number {
  return ((days + 4) % 7 + 7) % 7;
}
