/**
 * The worker's consume loop: runs the messages of a queue, a bounded number at once,
 * until stopped.
 *
 * @module
 */

/** A stream of queue messages that can be stopped, such as JetStream's `ConsumerMessages`. */
export interface Messages<T> extends AsyncIterable<T> {
  /** Stops pulling: the iteration ends. */
  stop(): void;
}

/** A running {@link consume} loop. */
export interface Consuming {
  /**
   * Stops pulling, gives back (`nak`) a message pulled but not started, and resolves once
   * the executions under way are done. Later calls return at once.
   */
  stop(): Promise<void>;
}

/**
 * Runs `execute` on each of `messages`, at most `concurrency` at once: when all slots are
 * taken, the next message waits for one to free.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { consume } from "./consume.ts";
 * const seen: number[] = [];
 * const all = Promise.withResolvers<void>();
 * const messages = {
 *   stop() {},
 *   async *[Symbol.asyncIterator]() {
 *     yield* [1, 2, 3].map((n) => ({ n, nak() {} }));
 *   },
 * };
 * const consuming = consume(messages, 2, async ({ n }) => {
 *   seen.push(n);
 *   if (seen.length === 3) all.resolve();
 * });
 * await all.promise;
 * await consuming.stop();
 * assert.deepEqual(seen, [1, 2, 3]);
 * ```
 */
export function consume<T extends { nak(): void }>(
  messages: Messages<T>,
  concurrency: number,
  execute: (message: T) => Promise<void>,
): Consuming {
  const running = new Set<Promise<void>>();
  let stopping = false;
  let slotFreed: (() => void) | undefined;
  const loop = (async () => {
    for await (const message of messages) {
      while (running.size >= concurrency && !stopping) {
        await new Promise<void>((resolve) => slotFreed = resolve);
      }
      if (stopping) {
        message.nak();
        continue;
      }
      const execution = execute(message);
      running.add(execution);
      execution.finally(() => {
        running.delete(execution);
        slotFreed?.();
      });
    }
  })();
  return {
    async stop() {
      if (stopping) return;
      stopping = true;
      slotFreed?.();
      messages.stop();
      await loop;
      await Promise.all(running);
    },
  };
}
