import assert from "node:assert/strict";
import {
  countTicks,
  firstRunAfter,
  firstTickAfter,
  nextTick,
  tickBounds,
} from "./ticks.ts";
import { parseSpec } from "./spec.ts";

const definition = { jobs: [], anchor: new Date(3000), paused: false };

Deno.test("the first tick is after both the time asked and the definition", () => {
  const spec = parseSpec("@every 10s");
  assert.equal(firstTickAfter(spec, definition, 0, 25_000), 33_000);
  assert.equal(firstTickAfter(spec, definition, 50_000, 25_000), 53_000);
});

Deno.test("ticks are counted in (from, to], up to the limit", () => {
  const spec = parseSpec("*/5 * * * * *");
  assert.equal(countTicks(spec, definition, 0, 20_000, 100), 4);
  assert.equal(countTicks(spec, definition, 0, 20_000, 2), 2);
  assert.equal(
    countTicks(parseSpec("0 0 0 30 2 *"), definition, 0, 1e12, 9),
    0,
  );
});

Deno.test("start and end bound the ticks: start included, end included", () => {
  const spec = parseSpec("*/5 * * * * *");
  const policy = { start: new Date(10_000), end: new Date(20_000) };
  assert.equal(firstTickAfter(spec, definition, 0, 0, policy), 10_000);
  assert.equal(firstTickAfter(spec, definition, 0, 15_000, policy), 20_000);
  assert.equal(firstTickAfter(spec, definition, 0, 20_000, policy), null);
  const bounds = tickBounds(policy);
  assert.equal(countTicks(spec, definition, 0, 60_000, 100, bounds), 3);
  assert.equal(nextTick(spec, 3000, 15_000, 0, bounds), 20_000);
  assert.equal(nextTick(spec, 3000, 20_000, 0, bounds), null);
});

Deno.test("maxRuns numbers the ticks from the definition, under start", () => {
  const spec = parseSpec("*/5 * * * * *");
  const bounds = tickBounds({ start: "1970-01-01T00:00:12Z", maxRuns: 3 });
  // The ticks of a definition stored at 7 s: 15, 20, 25 (10 is before start).
  assert.deepEqual(firstRunAfter(spec, definition, 7000, 0, bounds), {
    at: 15_000,
    run: 1,
  });
  assert.deepEqual(firstRunAfter(spec, definition, 7000, 22_000, bounds), {
    at: 25_000,
    run: 3,
  });
  assert.equal(firstRunAfter(spec, definition, 7000, 25_000, bounds), null);
  assert.equal(nextTick(spec, 3000, 20_000, 2, bounds), 25_000);
  assert.equal(nextTick(spec, 3000, 25_000, 3, bounds), null);
  assert.deepEqual(
    firstRunAfter(spec, definition, 7000, 0, tickBounds(undefined)),
    { at: 10_000, run: 0 },
  );
});

Deno.test("a policy time without an offset is UTC on every host, whatever its zone", async () => {
  const module = new URL("./ticks.ts", import.meta.url).href;
  const starts = await Promise.all(
    ["UTC", "Asia/Tokyo", "America/Los_Angeles"].map(async (zone) => {
      const { stdout } = await new Deno.Command(Deno.execPath(), {
        args: [
          "eval",
          `import { tickBounds } from "${module}";` +
          `console.log(tickBounds({ start: "2027-01-01T10:00:00" }).start)`,
        ],
        cwd: new URL("../..", import.meta.url).pathname,
        env: { TZ: zone },
      }).output();
      return Number(new TextDecoder().decode(stdout));
    }),
  );
  assert.deepEqual(starts, Array(3).fill(Date.UTC(2027, 0, 1, 10)));
});
