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
 * What is left of an execution once its call is done: recording it and answering the
 * queue. It runs outside the concurrency slot.
 */
export type Ending = () => Promise<void>;

/**
 * Runs `execute` on each of `messages`, at most `concurrency` at once: when all slots are
 * taken, the next message waits for one to free. An execution frees its slot when
 * `execute` resolves; the {@link Ending} it resolves with then runs on its own, at most
 * `endings` of them at once beyond the slots (when there are more, the next message
 * waits too), so that the slots keep calling while records and acks go their way.
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
 *   return async () => {
 *     if (seen.length === 3) all.resolve();
 *   };
 * });
 * await all.promise;
 * await consuming.stop();
 * assert.deepEqual(seen, [1, 2, 3]);
 * ```
 */
export function consume<T extends { nak(): void }>(
  messages: Messages<T>,
  concurrency: number,
  execute: (message: T) => Promise<Ending | void>,
  endings = 0,
): Consuming {
  const running = new Set<Promise<void>>();
  let calling = 0;
  let stopping = false;
  let freed: (() => void) | undefined;
  const full = () =>
    calling >= concurrency || running.size >= concurrency + endings;
  const loop = (async () => {
    for await (const message of messages) {
      while (full() && !stopping) {
        await new Promise<void>((resolve) => freed = resolve);
      }
      if (stopping) {
        message.nak();
        continue;
      }
      calling++;
      const execution = executeThenEnd(execute, message, () => {
        calling--;
        freed?.();
      }).finally(() => {
        running.delete(execution);
        freed?.();
      });
      running.add(execution);
    }
  })();
  return {
    async stop() {
      if (stopping) return;
      stopping = true;
      freed?.();
      messages.stop();
      await loop;
      await Promise.all(running);
    },
  };
}

/** Runs `execute` on `message`, calls `called` once it resolved, then runs its ending. */
async function executeThenEnd<T>(
  execute: (message: T) => Promise<Ending | void>,
  message: T,
  called: () => void,
): Promise<void> {
  let ending: Ending | void;
  try {
    ending = await execute(message);
  } finally {
    called();
  }
  await ending?.();
}
