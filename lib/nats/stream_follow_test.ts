import assert from "node:assert/strict";
import { followAgain } from "./stream_follow.ts";

Deno.test("followAgain starts a pass again after each ends, telling why, until aborted", async () => {
  const stop = new AbortController();
  const reloads: string[] = [];
  let passes = 0;
  await followAgain(() => {
    passes++;
    if (passes === 3) stop.abort();
    return Promise.resolve(`end ${passes}`);
  }, {
    loaded: () => true,
    signal: stop.signal,
    reload: (reason) => reloads.push(reason),
  });
  assert.equal(passes, 3);
  assert.deepEqual(reloads, ["end 1", "end 2"]);
});

Deno.test("followAgain rejects when the first pass fails before loading", async () => {
  await assert.rejects(
    followAgain(() => Promise.reject(new Error("no stream")), {
      loaded: () => false,
      signal: new AbortController().signal,
      reload: () => assert.fail("no reload"),
    }),
    /no stream/,
  );
});

Deno.test("followAgain ends quietly when a pass fails as it stops, loaded or not", async () => {
  for (const loaded of [false, true]) {
    const stop = new AbortController();
    await followAgain(() => {
      stop.abort();
      return Promise.reject(new Error("the sender is closed"));
    }, {
      loaded: () => loaded,
      signal: stop.signal,
      reload: () => assert.fail("no reload"),
    });
  }
});

Deno.test("followAgain waits after a failed pass, and an abort ends the wait", async () => {
  const stop = new AbortController();
  const reloads: string[] = [];
  const started = performance.now();
  await followAgain(() => {
    setTimeout(() => stop.abort(), 50);
    return Promise.reject(new Error("gone"));
  }, {
    loaded: () => true,
    signal: stop.signal,
    reload: (reason) => reloads.push(reason),
  });
  assert.deepEqual(reloads, ["the follow failed: gone"]);
  assert.ok(performance.now() - started < 900, "not the 1 s backoff");
});
