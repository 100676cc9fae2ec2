import assert from "node:assert/strict";
import { parseTimestamp } from "./timestamp.ts";

Deno.test("server time stamps keep their sub-millisecond digits", () => {
  assert.equal(
    parseTimestamp("2026-11-26T00:40:08.795568941Z"),
    Date.parse("2026-11-26T00:40:08.795Z") + 0.568941,
  );
  assert.equal(
    parseTimestamp("2026-11-26T00:40:08Z"),
    Date.parse("2026-11-26T00:40:08Z"),
  );
  assert.equal(
    parseTimestamp("2026-11-26T01:40:08.5+01:00"),
    Date.parse("2026-11-26T00:40:08.500Z"),
  );
});

Deno.test("a text that is not a time stamp is refused", () => {
  for (const text of ["", "yesterday", "2026-11-26T00:40:08.5"]) {
    assert.throws(() => parseTimestamp(text), /not a time stamp/);
  }
});
