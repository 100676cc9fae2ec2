/**
 * The aligned tables the admin commands print.
 *
 * @module
 */

/**
 * Aligns rows into columns separated by two spaces; the last cell of a row is not
 * padded and does not widen its column (a short row may end in a long message), and
 * trailing spaces are trimmed. Any number of rows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { table } from "./table.ts";
 *
 * assert.deepEqual(table([["KEY", "JOBS"], ["report", "1"]]), [
 *   "KEY     JOBS",
 *   "report  1",
 * ]);
 * ```
 */
export function table(rows: string[][]): string[] {
  const widths = rows[0].map(() => 0);
  for (const row of rows) {
    row.forEach((cell, column) => {
      if (column < widths.length && column < row.length - 1) {
        widths[column] = Math.max(widths[column], cell.length);
      }
    });
  }
  return rows.map((row) =>
    row.map((cell, column) =>
      column === row.length - 1 ? cell : cell.padEnd(widths[column])
    ).join("  ")
      .trimEnd()
  );
}
