/**
 * A readable line diff, for the revisions of a definition.
 *
 * @module
 */

/** One line of a diff: kept (` `), added (`+`) or removed (`-`). */
export interface DiffLine {
  /** What happened to the line. */
  op: " " | "+" | "-";
  /** The line. */
  text: string;
}

/**
 * The lines that turn `before` into `after` (a longest common subsequence); at most
 * `context` unchanged lines are kept around each change, the others dropped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { diffLines } from "./diff.ts";
 * assert.deepEqual(diffLines("a\nb\nc", "a\nB\nc"), [
 *   { op: " ", text: "a" },
 *   { op: "-", text: "b" },
 *   { op: "+", text: "B" },
 *   { op: " ", text: "c" },
 * ]);
 * ```
 */
export function diffLines(
  before: string,
  after: string,
  context = 3,
): DiffLine[] {
  const a = before ? before.split("\n") : [];
  const b = after ? after.split("\n") : [];
  const lengths = Array.from(
    { length: a.length + 1 },
    () => new Uint32Array(b.length + 1),
  );
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i][j] = a[i] === b[j]
        ? lengths[i + 1][j + 1] + 1
        : Math.max(lengths[i + 1][j], lengths[i][j + 1]);
    }
  }
  const lines: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      lines.push({ op: " ", text: a[i] });
      i++, j++;
    } else if (
      i < a.length && (j === b.length || lengths[i + 1][j] >= lengths[i][j + 1])
    ) {
      lines.push({ op: "-", text: a[i++] });
    } else {
      lines.push({ op: "+", text: b[j++] });
    }
  }
  const near = (at: number) =>
    lines.slice(Math.max(0, at - context), at + context + 1).some((line) =>
      line.op !== " "
    );
  return lines.filter((line, at) => line.op !== " " || near(at));
}
