import assert from "node:assert/strict";
import { LIVE_QUEUE, type LiveHub, liveResponse } from "./live.ts";

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

Deno.test("a live page that connects while the console stops gets a stream that ends", async () => {
  const closing = new AbortController();
  closing.abort();
  let subscribed = 0;
  const hub = {
    subscribe: () => {
      subscribed++;
      return () => subscribed--;
    },
  } as unknown as LiveHub;
  const reader = liveResponse(hub, undefined, closing.signal).body!
    .getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const first = await reader.read();
    assert.equal(new TextDecoder().decode(first.value), "retry: 2000\n\n");
    const next = await Promise.race([
      reader.read(),
      new Promise((resolve) => timer = setTimeout(resolve, 1_000, "open")),
    ]);
    assert.deepEqual(next, { done: true, value: undefined });
    assert.equal(subscribed, 0);
  } finally {
    clearTimeout(timer);
    await reader.cancel();
  }
});

Deno.test("a live page that does not read ends its stream once LIVE_QUEUE messages wait", async () => {
  let listener: ((update: unknown) => void) | undefined;
  const hub = {
    subscribe: (fn: (update: unknown) => void) => {
      listener = fn;
      return () => listener = undefined;
    },
  } as unknown as LiveHub;
  const body = liveResponse(hub, undefined, new AbortController().signal).body!;
  for (let i = 0; i < 10 * LIVE_QUEUE && listener; i++) {
    listener({ key: "k", kind: "run" });
  }
  assert.equal(listener, undefined, "unsubscribed");
  await assert.rejects(body.getReader().read(), /ended unread/);
});
