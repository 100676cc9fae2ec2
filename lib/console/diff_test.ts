import assert from "node:assert/strict";
import { DIFF_PAIRS, diffLines } from "./diff.ts";

Deno.test("diffLines() shows additions and removals with a little context", () => {
  const before = ["1", "2", "3", "4", "5", "6", "7", "8", "9"].join("\n");
  const after = ["1", "2", "3", "4", "5", "6", "7", "8", "nine", "10"].join(
    "\n",
  );
  assert.deepEqual(diffLines(before, after, 1), [
    { op: " ", text: "8" },
    { op: "-", text: "9" },
    { op: "+", text: "nine" },
    { op: "+", text: "10" },
  ]);
  assert.deepEqual(diffLines("", "a"), [{ op: "+", text: "a" }]);
  assert.deepEqual(diffLines("a", ""), [{ op: "-", text: "a" }]);
  assert.deepEqual(diffLines("same", "same"), []);
  assert.deepEqual(diffLines("x\na\nx", "x\nb\nx\nx", 5), [
    { op: " ", text: "x" },
    { op: "-", text: "a" },
    { op: "+", text: "b" },
    { op: "+", text: "x" },
    { op: " ", text: "x" },
  ]);
});

Deno.test("diffLines() of a million lines is quick; too many lines changed give null, quickly", () => {
  const lines = (n: number, tag: string) =>
    Array.from({ length: n }, (_, i) => `${tag}${i}`).join("\n");
  const big = lines(1_000_000, "");
  const started = performance.now();
  assert.deepEqual(diffLines(big, big), []);
  assert.equal(diffLines(big, `${big}\nmore`)?.length, 4);
  const side = Math.ceil(Math.sqrt(DIFF_PAIRS));
  assert.equal(diffLines(lines(side, "a"), lines(side, "b")), null);
  assert.equal(diffLines(big, lines(1_000_000, "x")), null);
  assert.ok(performance.now() - started < 2000);
});
