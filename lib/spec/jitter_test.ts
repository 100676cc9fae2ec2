import assert from "node:assert/strict";
import { parseSpec } from "./spec.ts";
import { fnv1a32, jitterOffset, policyJitter, sendTime } from "./jitter.ts";

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

Deno.test("send times keep a job's ticks in order, each at its own time, whatever the jitter", () => {
  for (
    const [source, jitter] of [["* * * * * *", 30_000], [
      "@every 1m",
      1_800_000,
    ], ["0 0 9 * * MON-FRI", 3_600_000]] as const
  ) {
    const spec = parseSpec(source);
    let at = spec.next(1_800_000_000_000, 0)!;
    let previous = -Infinity;
    for (let i = 0; i < 1000; i++) {
      const next = spec.next(at, 0)!;
      const send = sendTime(spec, 0, `beta.k.0.${at}`, at, jitter);
      assert.ok(send >= at && send < at + jitter && send < next, source);
      assert.ok(send > previous, `${source}: in order`);
      previous = send;
      at = next;
    }
  }
});
