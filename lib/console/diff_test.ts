import assert from "node:assert/strict";
import { diffLines } from "./diff.ts";

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
  assert.deepEqual(diffLines("same", "same"), []);
});
