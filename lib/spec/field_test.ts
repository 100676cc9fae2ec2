import assert from "node:assert/strict";
import { FIELDS, parseField } from "./field.ts";
import { InvalidSpecError } from "../errors.ts";

const [SECOND, , HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK] = FIELDS;

function members(text: string, bounds = SECOND): number[] {
  const { mask } = parseField("spec", text, bounds);
  return Array.from({ length: 64 }, (_, i) => i).filter((i) => mask.has(i));
}

Deno.test("items: numbers, ranges, steps, names, lists", () => {
  assert.deepEqual(members("5"), [5]);
  assert.deepEqual(members("+5"), [5]);
  assert.deepEqual(members("005"), [5]);
  assert.deepEqual(members("1-3,7"), [1, 2, 3, 7]);
  assert.deepEqual(members("50/4"), [50, 54, 58]);
  assert.deepEqual(members("*/25"), [0, 25, 50]);
  assert.deepEqual(members("*/61"), [0]);
  assert.deepEqual(members("1,,2"), [1, 2]);
  assert.deepEqual(members(","), []);
  assert.deepEqual(members("*-5", HOUR).length, 24);
  assert.deepEqual(members("jan-MAR/2", MONTH), [1, 3]);
  assert.deepEqual(members("?/10", DAY_OF_MONTH), [1, 11, 21, 31]);
});

Deno.test("day of week: 7 and x-SUN are Sunday, 0-SUN is Sunday alone", () => {
  assert.deepEqual(members("7", DAY_OF_WEEK), [0, 7]);
  assert.deepEqual(members("FRI-SUN", DAY_OF_WEEK), [0, 5, 6, 7]);
  assert.deepEqual(members("0-SUN", DAY_OF_WEEK), [0]);
  assert.deepEqual(members("1/2", DAY_OF_WEEK), [1, 3, 5]);
  assert.deepEqual(members("*", DAY_OF_WEEK), [0, 1, 2, 3, 4, 5, 6]);
});

Deno.test("names are lower-cased as Go does: FRİ is Friday, fri with a combining dot is not", () => {
  assert.deepEqual(members("FRİ", DAY_OF_WEEK), [5]);
  assert.throws(
    () => parseField("spec", "fri\u0307", DAY_OF_WEEK),
    InvalidSpecError,
  );
});

Deno.test("the star bit: * or ? with no step or step 1", () => {
  const star = (text: string) => parseField("spec", text, DAY_OF_MONTH).star;
  assert.deepEqual(
    ["*", "?", "*/1", "5,*/1", "*-5", "*/2", "1-31", "5"].map(star),
    [true, true, true, true, true, false, false, false],
  );
});

Deno.test("errors name the spec, the field and the item", () => {
  for (
    const [text, bounds, message] of [
      ["60", SECOND, /"60" in the second field ends above 59/],
      ["0", DAY_OF_MONTH, /starts below 1/],
      ["5-1", SECOND, /starts after it ends/],
      ["6-0", DAY_OF_WEEK, /starts after it ends/],
      ["*/0", SECOND, /step of 0/],
      ["-5", SECOND, /not a number/],
      ["1-2-3", SECOND, /more than one -/],
      ["1/2/3", SECOND, /more than one \//],
      ["*/-1", SECOND, /negative/],
      ["*/99999999999999999999", SECOND, /64-bit/],
      ["L", DAY_OF_MONTH, /"L" in the day of month field/],
      ["MON", MONTH, /not a number or name/],
      ["constructor", MONTH, /not a number or name/],
    ] as const
  ) {
    assert.throws(
      () => parseField("0 0 0 L * *", text, bounds),
      (err: Error) =>
        err instanceof InvalidSpecError &&
        err.message.startsWith('spec "0 0 0 L * *": ') &&
        message.test(err.message),
      text,
    );
  }
  assert.deepEqual(members("*/9223372036854775807"), [0]);
});
