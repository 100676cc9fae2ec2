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
   * the executions under way are done. Every call returns the same promise.
   */
  stop(): Promise<void>;
}

/**
 * What is left of an execution once its call is done: recording it and answering the
 * queue. It runs outside the concurrency slot.
 */
export type Ending = () => Promise<void>;

/** How {@link consume} runs the messages beyond their number at once. */
export interface ConsumeOptions {
  /**
   * Endings that may run at once beyond the slots.
   *
   * @default {0}
   */
  endings?: number;
  /**
   * How often a message waiting for a slot tells the queue it is being worked on, in ms
   * (a third of the ack wait), so that the queue does not deliver it again meanwhile.
   *
   * @default {10000}
   */
  progressEvery?: number;
}

/**
 * Runs `execute` on each of `messages`, at most `concurrency` at once: when all slots are
 * taken, the next message waits for one to free (signalling its progress every
 * `progressEvery` ms). An execution frees its slot when `execute` resolves; the
 * {@link Ending} it resolves with then runs on its own, at most `endings` of them at once
 * beyond the slots (when there are more, the next message waits too), so that the slots
 * keep calling while records and acks go their way.
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
 *     yield* [1, 2, 3].map((n) => ({ n, nak() {}, working() {} }));
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
export function consume<T extends { nak(): void; working(): void }>(
  messages: Messages<T>,
  concurrency: number,
  execute: (message: T) => Promise<Ending | void>,
  { endings = 0, progressEvery = 10_000 }: ConsumeOptions = {},
): Consuming {
  const slots = new Slots(concurrency, concurrency + endings);
  let stopping = false;
  const loop = (async () => {
    for await (const message of messages) {
      while (slots.full && !stopping) {
        if (await slots.freed(progressEvery)) continue;
        try {
          message.working();
        } catch {
          /* the connection is gone: the message will be redelivered */
        }
      }
      if (stopping) message.nak();
      else slots.run(() => execute(message));
    }
  })();
  const stop = async () => {
    stopping = true;
    slots.wake();
    messages.stop();
    await loop;
    await slots.done();
  };
  let stopped: Promise<void> | undefined;
  return { stop: () => stopped ??= stop() };
}

/**
 * The executions under way: at most `calls` calls, and at most `total` executions with
 * their endings.
 */
class Slots {
  readonly #running = new Set<Promise<void>>();
  #calling = 0;
  #freed: (() => void) | undefined;

  constructor(readonly calls: number, readonly total: number) {}

  /** True when the next message has to wait. */
  get full(): boolean {
    return this.#calling >= this.calls || this.#running.size >= this.total;
  }

  /**
   * Resolves with true when a call or an execution ends (or {@link wake} is called), with
   * false when `within` ms pass first.
   */
  freed(within: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), within);
      this.#freed = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  /** Ends a wait for {@link freed}. */
  wake(): void {
    this.#freed?.();
  }

  /** Runs an execution: its call in a slot, then its ending. */
  run(execute: () => Promise<Ending | void>): void {
    this.#calling++;
    const execution = executeThenEnd(execute, () => {
      this.#calling--;
      this.wake();
    }).finally(() => {
      this.#running.delete(execution);
      this.wake();
    });
    this.#running.add(execution);
  }

  /** Resolves once every execution under way is done. */
  async done(): Promise<void> {
    await Promise.all(this.#running);
  }
}

/** Runs `execute`, calls `called` once it resolved, then runs its ending. */
async function executeThenEnd(
  execute: () => Promise<Ending | void>,
  called: () => void,
): Promise<void> {
  let ending: Ending | void;
  try {
    ending = await execute();
  } finally {
    called();
  }
  await ending?.();
}
