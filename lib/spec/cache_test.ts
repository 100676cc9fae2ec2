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

Deno.test("SpecCache tells apart specs whose hashes collide", () => {
  const specs = new SpecCache();
  // Two texts with the same 30-bit hash.
  const a = specs.get("@every 58359s");
  const b = specs.get("@every 134884s");
  assert.notEqual(a, b);
  assert.equal(specs.get("@every 58359s"), a);
  assert.equal(specs.get("@every 134884s").source, "@every 134884s");
  assert.equal(specs.size, 2);
});

Deno.test("SpecCache gives the same specs while it holds them and after", () => {
  const specs = new SpecCache();
  const release = specs.hold();
  const a = specs.get("0 0 * * * *", "Europe/Paris");
  assert.equal(specs.get("0 0 * * * *", "Europe/Paris"), a);
  release();
  assert.equal(specs.get("0 0 * * * *", "Europe/Paris"), a);
  assert.equal(specs.size, 1);
});
