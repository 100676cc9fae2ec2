import assert from "node:assert/strict";
import { headers } from "@nats-io/nats-core";
import type { Tick } from "../types.ts";
import type { RunContext } from "./handler.ts";
import { runHandler, type RunMessage } from "./run_handler.ts";
import { TICK } from "./_fixtures.ts";

const tick: Tick = TICK;

const never = new AbortController().signal;

function message(msgId?: string, working = () => {}): RunMessage {
  const h = headers();
  if (msgId) h.set("Nats-Msg-Id", msgId);
  return {
    headers: msgId ? h : undefined,
    info: { stream: "jobs" },
    seq: 7,
    working,
  } as unknown as RunMessage;
}

Deno.test("no handler: failed, naming the mode", async () => {
  assert.deepEqual(
    await runHandler(undefined, tick, message(), 1, 1000, never),
    {
      outcome: "failed",
      error: "no handler for mode log",
    },
  );
});

Deno.test("the handler's result is returned; nothing returned is a success", async () => {
  const result = { outcome: "retry" as const, status: 503, retryAfter: 10 };
  assert.deepEqual(
    await runHandler(
      () => Promise.resolve(result),
      tick,
      message(),
      1,
      1000,
      never,
    ),
    result,
  );
  assert.deepEqual(
    await runHandler(() => Promise.resolve(), tick, message(), 1, 1000, never),
    { outcome: "success" },
  );
});

Deno.test("a result that is not a RunResult fails the run, saying so; fields of the wrong type are left out", async () => {
  const resolving = (value: unknown) =>
    runHandler(
      (() => Promise.resolve(value)) as never,
      tick,
      message(),
      1,
      1000,
      never,
    );
  const failed = {
    outcome: "failed",
    error: "the handler resolved with something that is not a RunResult",
  };
  for (const value of [new Response("ok"), { outcome: undefined }, "done", 1]) {
    assert.deepEqual(await resolving(value), failed);
  }
  assert.deepEqual(
    await resolving({ outcome: "success", status: "200", response: 5 }),
    { outcome: "success" },
  );
  assert.deepEqual(await resolving(null), { outcome: "success" });
});

Deno.test("a thrown error is a retry with its message", async () => {
  const result = await runHandler(
    () => Promise.reject(new Error("boom")),
    tick,
    message(),
    1,
    1000,
    never,
  );
  assert.deepEqual(result, { outcome: "retry", error: "boom" });
});

Deno.test("anything else thrown is a retry with its text", async () => {
  const errors: (string | undefined)[] = [];
  for (const thrown of [undefined, "boom", 42, Object.create(null)]) {
    const result = await runHandler(
      () => Promise.reject(thrown),
      tick,
      message(),
      1,
      1000,
      never,
    );
    assert.equal(result.outcome, "retry");
    errors.push(result.error);
  }
  assert.deepEqual(errors, [
    "threw undefined",
    "boom",
    "threw 42",
    "threw a value without text",
  ]);
});

Deno.test("the context: the attempt and the tick's message id, else stream.seq", async () => {
  const contexts: RunContext[] = [];
  const handler = (_: Tick, context: RunContext) => {
    contexts.push(context);
    return Promise.resolve();
  };
  await runHandler(handler, tick, message("beta.test.0.1"), 3, 1000, never);
  await runHandler(handler, tick, message(), 1, 1000, never);
  assert.deepEqual(contexts, [
    { attempt: 3, msgId: "beta.test.0.1", signal: never },
    { attempt: 1, msgId: "jobs.7", signal: never },
  ]);
});

Deno.test("progress is signalled while the handler runs, and not after", async () => {
  let signals = 0;
  const signalled = Promise.withResolvers<void>();
  const msg = message(undefined, () => {
    signals++;
    if (signals === 2) signalled.resolve();
    throw new Error("connection closed"); // ignored: the tick will be redelivered
  });
  const deadline = setTimeout(
    () => signalled.reject(new Error("no progress within 5 s")),
    5000,
  );
  const result = await runHandler(
    () => signalled.promise,
    tick,
    msg,
    1,
    10,
    never,
  );
  clearTimeout(deadline);
  assert.deepEqual(result, { outcome: "success" });
  // An absence takes a while to show: five progress periods pass without a signal.
  const after = signals;
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(signals, after, "no progress once the handler is done");
});
