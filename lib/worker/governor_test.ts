import assert from "node:assert/strict";
import type { Tick } from "../types.ts";
import { createLogger } from "../ops/log.ts";
import { Governor } from "./governor.ts";
import { TICK } from "./_fixtures.ts";

const tick = (overlap?: "allow" | "skip"): Tick => ({
  ...TICK,
  ...(overlap === undefined ? {} : { policy: { overlap } }),
});

function governor(bucket: () => Promise<never>) {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    write: (line) => lines.push(JSON.parse(line)),
  });
  return {
    lines,
    governor: new Governor({
      bucket,
      restore: () => Promise.resolve(false),
      worker: "w1",
      staleAfter: 30_000,
      every: 10_000,
      now: Date.now,
      log,
    }),
  };
}

Deno.test("allow (and no policy): runs at once, never touching the run state", async () => {
  let opened = 0;
  const { governor: g } = governor(() => {
    opened++;
    return Promise.reject(new Error("unused"));
  });
  const stopping = new AbortController().signal;
  for (const t of [tick(), tick("allow")]) {
    assert.deepEqual(await g.admit(t, () => {}, stopping), { kind: "run" });
    assert.deepEqual(await g.settle(t, undefined, "failed"), {
      pause: false,
      failures: 0,
    });
  }
  assert.equal(opened, 0);
});

Deno.test("an unusable run state bucket: the tick runs without the lock, logged", async () => {
  const { governor: g, lines } = governor(() =>
    Promise.reject(new Error("permissions violation"))
  );
  const admitted = await g.admit(
    tick("skip"),
    () => {},
    new AbortController().signal,
  );
  assert.deepEqual(admitted, { kind: "run" });
  assert.equal(
    lines[0].msg,
    "run state unavailable; running the tick without its overlap lock",
  );
  assert.equal(lines[0].error, "permissions violation");
});

Deno.test("a lease is released even when the tick that ran is of no lock (a replacement's)", async () => {
  let opened = 0;
  const { governor: g } = governor(() => {
    opened++;
    return Promise.reject(new Error("the bucket, opened"));
  });
  let ended = false;
  const lease = {
    claim: { scheduledAt: TICK.scheduledAt.toISOString(), worker: "w1" },
    signal: new AbortController().signal,
    end: () => {
      ended = true;
    },
  };
  await assert.rejects(g.settle(tick("allow"), lease, "success"), /opened/);
  assert.equal(ended, true);
  assert.equal(opened, 1, "the release is written");
});
