import assert from "node:assert/strict";
import { civilDate, dayNumber, daysInMonth, weekday } from "./calendar.ts";

Deno.test("day numbers agree with Date from year 1 to 9999", () => {
  for (let days = -719_162; days < 2_932_897; days += 97) {
    const date = new Date(days * 86_400_000);
    const civil = [
      date.getUTCFullYear(),
      date.getUTCMonth() + 1,
      date.getUTCDate(),
    ];
    assert.deepEqual(civilDate(days), civil, date.toISOString());
    assert.equal(dayNumber(civil[0], civil[1], civil[2]), days);
    assert.equal(weekday(days), date.getUTCDay());
  }
});

Deno.test("month lengths, with Gregorian leap years", () => {
  assert.deepEqual(
    Array.from({ length: 12 }, (_, m) => daysInMonth(2023, m + 1)),
    [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31],
  );
  assert.deepEqual([1900, 2000, 2024, 3000].map((y) => daysInMonth(y, 2)), [
    28,
    29,
    29,
    28,
  ]);
});
