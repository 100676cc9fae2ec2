import assert from "node:assert/strict";
import { timeline } from "./runs.ts";

Deno.test("the runs table holds the runs of the last 24 hours, as the time line does", () => {
  const now = Date.parse("2030-01-04T00:00:00Z");
  const run = (at: string) => ({
    key: "k",
    index: 0,
    scheduledAt: new Date(at),
    attempt: 1,
    startedAt: new Date(at),
    durationMs: 5,
    outcome: "success" as const,
    worker: "w",
  });
  const page = String(
    timeline(
      [run("2030-01-01T00:00:00Z"), run("2030-01-03T12:00:00Z")],
      now,
      "UTC",
    ),
  );
  assert.equal(page.match(/<tr/g)?.length, 2, "the header and one run");
  assert.match(page, /last 1 runs: 1 success/);
});
