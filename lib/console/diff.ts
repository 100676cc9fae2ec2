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
 * The largest table of line pairs a diff compares, past the lines both texts start and
 * end with: a definition may be a megabyte, and a page is drawn in the one thread that
 * serves every request (a quarter of a million pairs: about 2 ms).
 */
export const DIFF_PAIRS = 250_000;

/**
 * The lines that turn `before` into `after` (a longest common subsequence of the lines
 * between those both start and end with); at most `context` unchanged lines are kept
 * around each change, the others dropped. `null` when the lines that differ are too many
 * to compare (more than {@link DIFF_PAIRS} pairs).
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
): DiffLine[] | null {
  const a = before ? before.split("\n") : [];
  const b = after ? after.split("\n") : [];
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let end = 0;
  while (
    end < a.length - start && end < b.length - start &&
    a[a.length - 1 - end] === b[b.length - 1 - end]
  ) end++;
  const middle = middleLines(
    a.slice(start, a.length - end),
    b.slice(start, b.length - end),
  );
  if (middle === null) return null;
  const kept = (lines: string[]) =>
    lines.map((text): DiffLine => ({ op: " ", text }));
  const head = kept(a.slice(Math.max(0, start - context), start));
  const tail = kept(a.slice(a.length - end, a.length - end + context));
  return middle.length === 0 ? [] : [
    ...head,
    ...dropFarFromChanges(middle, context),
    ...tail,
  ];
}

/** The longest common subsequence diff of `a` and `b`, or `null` when too large. */
function middleLines(a: string[], b: string[]): DiffLine[] | null {
  if ((a.length + 1) * (b.length + 1) > DIFF_PAIRS) return null;
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
  return lines;
}

/** `lines` without the unchanged ones more than `context` lines from a change. */
function dropFarFromChanges(lines: DiffLine[], context: number): DiffLine[] {
  const near = (at: number) =>
    lines.slice(Math.max(0, at - context), at + context + 1).some((line) =>
      line.op !== " "
    );
  return lines.filter((line, at) => line.op !== " " || near(at));
}
