import assert from "node:assert/strict";
import { consume, type Messages } from "./consume.ts";

interface Message {
  n: number;
  naked: boolean;
  /** How many times its progress was signalled. */
  worked: number;
  nak(): void;
  working(): void;
}

/** A queue the test fills; stopping it ends the iteration once it is empty. */
function queue(): Messages<Message> & { push(n: number): Message } {
  const pending: Message[] = [];
  let stopped = false;
  let wake: (() => void) | undefined;
  return {
    push(n) {
      const message = {
        n,
        naked: false,
        worked: 0,
        nak() {
          this.naked = true;
        },
        working() {
          this.worked++;
        },
      };
      pending.push(message);
      wake?.();
      return message;
    },
    stop() {
      stopped = true;
      wake?.();
    },
    async *[Symbol.asyncIterator]() {
      while (true) {
        const next = pending.shift();
        if (next) yield next;
        else if (stopped) return;
        else await new Promise<void>((resolve) => wake = resolve);
      }
    },
  };
}

/** Lets timers and I/O run once: every ready microtask runs first. */
const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("at most `concurrency` executions run at once; every message runs", async () => {
  const messages = queue();
  const gates = new Map<number, PromiseWithResolvers<void>>();
  const started: number[] = [];
  let active = 0;
  let most = 0;
  const consuming = consume(messages, 2, async ({ n }) => {
    active++;
    most = Math.max(most, active);
    started.push(n);
    await gates.get(n)!.promise;
    active--;
  });
  for (let n = 0; n < 5; n++) {
    gates.set(n, Promise.withResolvers());
    messages.push(n);
  }
  for (let n = 0; n < 5; n++) {
    await turn();
    assert.ok(started.includes(n), `message ${n} started`);
    assert.ok(most <= 2, `${most} at once`);
    gates.get(n)!.resolve();
  }
  await consuming.stop();
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
  assert.equal(most, 2);
});

Deno.test("stop gives back a message waiting for a slot and waits for the one under way", async () => {
  const messages = queue();
  const release = Promise.withResolvers<void>();
  const executed: number[] = [];
  let finished = false;
  const consuming = consume(messages, 1, async ({ n }) => {
    executed.push(n);
    await release.promise;
    await turn();
    finished = true;
  });
  messages.push(1);
  const waiting = messages.push(2);
  await turn();
  assert.deepEqual(executed, [1]);
  const stopped = consuming.stop();
  assert.equal(consuming.stop(), stopped, "a second stop waits as the first");
  release.resolve();
  await stopped;
  assert.ok(finished, "the execution under way ended before stop returned");
  assert.deepEqual(executed, [1]);
  assert.ok(waiting.naked, "the waiting message is given back");
  assert.equal(consuming.stop(), stopped);
});

Deno.test("a message waiting for a slot signals its progress, so the queue keeps it", async () => {
  const messages = queue();
  const release = Promise.withResolvers<void>();
  const consuming = consume(messages, 1, () => release.promise, {
    progressEvery: 20,
  });
  messages.push(1);
  const waiting = messages.push(2);
  const deadline = Date.now() + 5000;
  while (waiting.worked < 2 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.ok(waiting.worked >= 2, `signalled ${waiting.worked} times`);
  release.resolve();
  await consuming.stop();
});

Deno.test("an execution frees its slot once called; its ending runs beside the next, at most `endings` of them", async () => {
  const messages = queue();
  const ended = new Map<number, PromiseWithResolvers<void>>();
  const started: number[] = [];
  const consuming = consume(messages, 1, ({ n }) => {
    started.push(n);
    ended.set(n, Promise.withResolvers());
    return Promise.resolve(() => ended.get(n)!.promise);
  }, { endings: 2 });
  for (let n = 0; n < 4; n++) messages.push(n);
  await turn();
  assert.deepEqual(started, [0, 1, 2], "one slot, two endings beside it");
  ended.get(0)!.resolve();
  await turn();
  assert.deepEqual(started, [0, 1, 2, 3]);
  const stopped = consuming.stop();
  for (const n of [1, 2, 3]) ended.get(n)!.resolve();
  await stopped;
});

Deno.test("stop waits for the endings under way", async () => {
  const messages = queue();
  const ending = Promise.withResolvers<void>();
  let ended = false;
  const consuming = consume(messages, 1, () =>
    Promise.resolve(async () => {
      await ending.promise;
      ended = true;
    }), { endings: 1 });
  messages.push(1);
  await turn();
  const stopped = consuming.stop();
  ending.resolve();
  await stopped;
  assert.ok(ended, "the ending finished before stop returned");
});
