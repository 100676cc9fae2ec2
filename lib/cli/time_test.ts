import assert from "node:assert/strict";
import { absolute, relative, span } from "./time.ts";

Deno.test("span() shows the two largest units that matter", () => {
  const cases: [number, string][] = [
    [0, "0s"],
    [59_400, "59s"],
    [60_000, "1m"],
    [252_000, "4m12s"],
    [12 * 60_000 + 5_000, "12m"],
    [3600_000, "1h"],
    [(3 * 60 + 12) * 60_000, "3h12m"],
    [(2 * 24 + 4) * 3600_000, "2d4h"],
    [400 * 86_400_000, "400d"],
  ];
  for (const [ms, text] of cases) assert.equal(span(ms), text, String(ms));
});

Deno.test("relative() says in or ago", () => {
  assert.equal(relative(new Date(5_000), 5_000), "in 0s");
  assert.equal(relative(new Date(0), 3 * 3600_000), "3h ago");
});

Deno.test("absolute() shows the wall time and offset of the zone", () => {
  const winter = new Date("2025-01-15T23:30:05Z");
  assert.equal(absolute(winter, "Asia/Tokyo"), "2025-01-16 08:30:05 +09:00");
  assert.equal(
    absolute(winter, "America/New_York"),
    "2025-01-15 18:30:05 -05:00",
  );
  assert.equal(absolute(winter, "Asia/Kolkata"), "2025-01-16 05:00:05 +05:30");
});
