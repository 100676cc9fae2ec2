import assert from "node:assert/strict";
import { parseFields } from "./grammar.ts";
import { WallMatcher } from "./matcher.ts";

const matcher = (spec: string) =>
  new WallMatcher(parseFields(spec, spec.split(" ")));
const wall = (iso: string) => Date.parse(iso) / 1000;
const iso = (seconds: number | null) =>
  seconds === null
    ? null
    : new Date(seconds * 1000).toISOString().replace(".000Z", "Z");

Deno.test("next matching wall time, at or after the given one", () => {
  for (
    const [spec, from, next] of [
      ["0 30 9 * * *", "2024-01-01T09:30:00Z", "2024-01-01T09:30:00Z"],
      ["0 30 9 * * *", "2024-01-01T09:30:01Z", "2024-01-02T09:30:00Z"],
      ["59 59 23 31 12 *", "2024-01-01T00:00:00Z", "2024-12-31T23:59:59Z"],
      ["0 0 9 1 * MON", "2026-02-24T00:00:00Z", "2026-03-01T09:00:00Z"],
      ["0 0 0 29 2 *", "2097-01-01T00:00:00Z", "2104-02-29T00:00:00Z"],
      ["0 0 0 1 1 *", "2999-06-01T00:00:00Z", "3000-01-01T00:00:00Z"],
      ["0 0 0 1 1 *", "1896-06-01T00:00:00Z", "1897-01-01T00:00:00Z"],
      ["0 0 0 1-31 * MON", "2024-01-01T00:00:01Z", "2024-01-02T00:00:00Z"],
      ["0 0 0 */1 * MON", "2024-01-01T00:00:01Z", "2024-01-08T00:00:00Z"],
    ]
  ) {
    assert.equal(
      iso(matcher(spec).next(wall(from))),
      next,
      `${spec} from ${from}`,
    );
  }
});

Deno.test("day and month combinations that never come are found at once", () => {
  for (
    const spec of [
      "0 0 0 30 2 *",
      "0 0 0 31 4,6,9,11 *",
      "0 0 0 30,31 2 *",
      "0 0 , * * *",
    ]
  ) {
    assert.equal(matcher(spec).never, true, spec);
    assert.equal(matcher(spec).next(0), null, spec);
  }
  assert.equal(matcher("0 0 0 30 2 MON").never, false);
  assert.equal(matcher("0 0 0 29 2 *").never, false);
});
