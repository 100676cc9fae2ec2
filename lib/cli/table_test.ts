import assert from "node:assert/strict";
import { table } from "./table.ts";

Deno.test("table() pads each column to its widest cell, two spaces apart", () => {
  assert.deepEqual(
    table([
      ["ROLE", "ID", "DETAILS"],
      ["worker", "a", "x=1"],
      ["node", "abcdef", ""],
    ]),
    [
      "ROLE    ID      DETAILS",
      "worker  a       x=1",
      "node    abcdef",
    ],
  );
});

Deno.test("table() leaves the last cell of a row unpadded", () => {
  assert.deepEqual(table([["NEXT"], ["2024-01-01T00:00:00.000Z"]]), [
    "NEXT",
    "2024-01-01T00:00:00.000Z",
  ]);
  assert.deepEqual(table([["set report: 1 job(s)"]]), [
    "set report: 1 job(s)",
  ]);
});

Deno.test("table() does not widen a column for the last cell of a short row", () => {
  assert.deepEqual(
    table([["KEY", "SPEC", "ZONE"], ["a", "@daily", "UTC"], [
      "b",
      "INVALID: no",
    ]]),
    ["KEY  SPEC    ZONE", "a    @daily  UTC", "b    INVALID: no"],
  );
});

Deno.test("table() aligns 200,000 rows", () => {
  const rows = [["#", "KEY"]];
  for (let i = 0; i < 200_000; i++) rows.push([String(i), `key-${i}`]);
  const lines = table(rows);
  assert.equal(lines.length, 200_001);
  assert.equal(lines[0], "#       KEY");
  assert.equal(lines[200_000], "199999  key-199999");
});
