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

Deno.test("SpecCache drops the entries of specs no job holds any more", async () => {
  const { gc } = globalThis as { gc?: () => void };
  assert.ok(gc, "the tests run with --v8-flags=--expose-gc");
  const specs = new SpecCache();
  const kept = specs.get("@every 1s");
  for (let i = 2; i <= 2000; i++) specs.get(`@every ${i}s`);
  // A weak reference made or read keeps its target until the turn ends.
  await new Promise((resolve) => setTimeout(resolve, 0));
  gc();
  // It looked at 1,025 entries, all alive; it looks again past twice as many (3,074).
  for (let i = 2001; i <= 3100; i++) specs.get(`@every ${i}s`);
  assert.equal(specs.size, 1 + 1100, "the 1,999 collected are dropped");
  assert.equal(
    specs.get("@every 1s"),
    kept,
    "a spec still held is still shared",
  );
});
