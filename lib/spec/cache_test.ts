import assert from "node:assert/strict";
import { SpecCache } from "./cache.ts";

Deno.test("SpecCache compiles one spec per distinct (spec, zone)", () => {
  const specs = new SpecCache();
  const a = specs.get("@every 15s");
  assert.equal(specs.get("@every 15s"), a);
  assert.notEqual(
    specs.get("0 0 * * * *", "Europe/Paris"),
    specs.get("0 0 * * * *"),
  );
  assert.equal(specs.size, 3);
});

Deno.test("SpecCache keys on the dst option too", () => {
  const specs = new SpecCache();
  const exact = specs.get("0 30 2 * * *", "America/New_York");
  assert.equal(
    specs.get("0 30 2 * * *", "America/New_York", { dst: "exact" }),
    exact,
  );
  assert.notEqual(
    specs.get("0 30 2 * * *", "America/New_York", { dst: "once" }),
    exact,
  );
});
