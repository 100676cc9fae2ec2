import assert from "node:assert/strict";
import { Bitmask, lowestBit } from "./bitmask.ts";

Deno.test("Bitmask.range steps from start to end, across both words", () => {
  const mask = Bitmask.range(5, 59, 20);
  assert.deepEqual(
    Array.from({ length: 64 }, (_, i) => i).filter((i) => mask.has(i)),
    [5, 25, 45],
  );
  assert.equal(Bitmask.range(7, 7, 2 ** 40).has(7), true);
});

Deno.test("Bitmask.next finds the smallest member at or after a number", () => {
  const mask = Bitmask.range(3, 3, 1).or(Bitmask.range(31, 33, 1));
  assert.deepEqual([0, 3, 4, 31, 32, 33, 34, 64].map((v) => mask.next(v)), [
    3,
    3,
    31,
    31,
    32,
    33,
    -1,
    -1,
  ]);
  assert.equal(Bitmask.EMPTY.next(0), -1);
  assert.equal(Bitmask.EMPTY.empty, true);
  assert.equal(mask.empty, false);
});

Deno.test("lowestBit counts trailing zeros, bit 31 included", () => {
  assert.equal(lowestBit(1), 0);
  assert.equal(lowestBit(0b10100), 2);
  assert.equal(lowestBit(1 << 31), 31);
});
