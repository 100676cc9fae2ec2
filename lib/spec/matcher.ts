/**
 * The wall-clock times a six-field cron spec matches, with no zone: the first matching
 * wall time at or after a given one, by bitmask steps from the month down to the second.
 *
 * @module
 */

import { type Bitmask, lowestBit } from "./bitmask.ts";
import { civilDate, DAY, dayNumber, daysInMonth, weekday } from "./calendar.ts";
import type { Field } from "./field.ts";

/** Wall times as seconds since 1970-01-01T00:00 on the wall clock (UTC-like). */
export type Wall = number;

/** Bits 1…n of a day-of-month word, for months of n = 0…31 days. */
const MONTH_LENGTH = Array.from(
  { length: 32 },
  (_, n) => n === 31 ? -2 : ((1 << (n + 1)) - 2),
);
/** The longest each month can be. */
const LONGEST_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** The days of a spec that matches every day, shared by all such matchers. */
const EVERY_DAY: readonly number[] = Array(7).fill(MONTH_LENGTH[31]);

/**
 * Matches wall times against compiled fields. `days[w]` holds the matching days of a
 * month whose 1st falls on weekday `w`, with robfig's (Vixie's) rule: when day of month
 * and day of week are both restricted, either may match; else both must.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { parseFields } from "./grammar.ts";
 * import { WallMatcher } from "./matcher.ts";
 * const matcher = new WallMatcher(parseFields("s", ["0", "30", "9", "*", "*", "MON"]));
 * const monday = Date.UTC(2024, 0, 8, 9, 30) / 1000;
 * strictEqual(matcher.next(Date.UTC(2024, 0, 2) / 1000), monday);
 * strictEqual(new WallMatcher(parseFields("s", ["0", "0", "0", "30", "2", "*"])).never, true);
 * ```
 */
export class WallMatcher {
  readonly #second: Bitmask;
  readonly #minute: Bitmask;
  readonly #hour: Bitmask;
  readonly #month: Bitmask;
  readonly #days: readonly number[];
  /** Whether no wall time ever matches (such as Feb 30): then `next` is `null`. */
  readonly never: boolean;

  constructor(fields: readonly Field[]) {
    const [second, minute, hour, dayOfMonth, month, dayOfWeek] = fields;
    this.#second = second.mask;
    this.#minute = minute.mask;
    this.#hour = hour.mask;
    this.#month = month.mask;
    const either = !dayOfMonth.star && !dayOfWeek.star;
    const days = Array.from({ length: 7 }, (_, first) => {
      const weekdays = weekdaysOfMonth(dayOfWeek.mask, first);
      return either
        ? dayOfMonth.mask.low | weekdays
        : dayOfMonth.mask.low & weekdays;
    });
    this.#days = days.every((d) => d === EVERY_DAY[0]) ? EVERY_DAY : days;
    this.never = [second, minute, hour, month].some((f) => f.mask.empty) ||
      !this.#days.some((days) =>
        LONGEST_MONTH.some((length, m) =>
          this.#month.has(m) && (days & MONTH_LENGTH[length]) !== 0
        )
      );
  }

  /** The first matching wall time at or after `from` (whole seconds), or `null`. */
  next(from: Wall): Wall | null {
    if (this.never) return null;
    let day = Math.floor(from / DAY);
    let time = from - day * DAY;
    for (;;) {
      const matching = this.#nextDay(day);
      if (matching !== day) {
        day = matching;
        time = 0;
      }
      const t = this.#nextTime(time);
      if (t >= 0) return day * DAY + t;
      day++;
      time = 0;
    }
  }

  /** The first matching second of a day at or after `time` (seconds), or -1. */
  #nextTime(time: number): number {
    let hour = Math.floor(time / 3600);
    let minute = Math.floor(time / 60) % 60;
    let second = time % 60;
    for (;;) {
      const h = this.#hour.next(hour);
      if (h < 0) return -1;
      if (h !== hour) {
        hour = h;
        minute = second = 0;
      }
      const m = this.#minute.next(minute);
      if (m < 0) {
        hour++;
        minute = second = 0;
        continue;
      }
      if (m !== minute) {
        minute = m;
        second = 0;
      }
      const s = this.#second.next(second);
      if (s < 0) {
        minute++;
        second = 0;
        continue;
      }
      return hour * 3600 + minute * 60 + s;
    }
  }

  /** The first day number ≥ `from` whose month and day match. */
  #nextDay(from: number): number {
    let [year, month, day] = civilDate(from);
    for (;;) {
      const m = this.#month.next(month);
      if (m < 0) {
        year++;
        month = 1;
        day = 1;
        continue;
      }
      if (m !== month) {
        month = m;
        day = 1;
      }
      const first = dayNumber(year, month, 1);
      const days = this.#days[weekday(first)] &
        MONTH_LENGTH[daysInMonth(year, month)] & (-1 << day);
      if (days !== 0) return first + lowestBit(days) - 1;
      month++;
      day = 1;
    }
  }
}

/** Bits 1–31: the days of a month whose 1st is weekday `first` that fall on `weekdays`. */
function weekdaysOfMonth(weekdays: Bitmask, first: number): number {
  let days = 0;
  for (let day = 1; day <= 31; day++) {
    if (weekdays.has((first + day - 1) % 7)) days |= 1 << day;
  }
  return days;
}
