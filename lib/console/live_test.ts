import assert from "node:assert/strict";
import { type LiveHub, liveResponse } from "./live.ts";

Deno.test("a live page that closes leaves nothing on the console's closing signal", async () => {
  const closing = new AbortController();
  const { signal } = closing;
  let listeners = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = (...args: Parameters<typeof add>) => {
    listeners++;
    add(...args);
  };
  signal.removeEventListener = (...args: Parameters<typeof remove>) => {
    listeners--;
    remove(...args);
  };
  const hub = { subscribe: () => () => {} } as unknown as LiveHub;
  for (let page = 0; page < 10; page++) {
    await liveResponse(hub, undefined, signal).body!.cancel();
  }
  assert.equal(listeners, 0);
});
