import assert from "node:assert/strict";
import { fnv1a32, jitterOffset, policyJitter } from "./jitter.ts";

Deno.test("FNV-1a 32 matches the reference vectors", () => {
  assert.equal(fnv1a32("a"), 0xe40c292c);
  assert.equal(fnv1a32("foobar"), 0xbf9cf968);
});

Deno.test("offsets of consecutive ticks spread over the jitter", () => {
  const buckets = new Array(10).fill(0);
  for (let i = 0; i < 10_000; i++) {
    const offset = jitterOffset(
      `beta.k.0.${1_800_000_000_000 + i * 1000}`,
      30_000,
    );
    assert.ok(offset >= 0 && offset < 30_000 && Number.isInteger(offset));
    buckets[Math.floor(offset / 3000)]++;
  }
  for (const count of buckets) {
    assert.ok(count > 800 && count < 1200, `${buckets}`);
  }
});

Deno.test("a job's jitter is read as the node reads it, in whole ms", () => {
  assert.equal(policyJitter(undefined), 0);
  assert.equal(policyJitter({}), 0);
  assert.equal(policyJitter({ jitter: "150s" }), 150_000);
  assert.equal(policyJitter({ jitter: "1.5ms" }), 1);
});
