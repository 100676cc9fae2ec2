/**
 * The job queue as a worker pulls it: the messages of the workers' shared consumer, on
 * and on across a deletion of the consumer or of the whole job stream.
 *
 * @module
 */

import type {
  ConsumerMessages,
  ConsumerNotification,
  JsMsg,
} from "@nats-io/jetstream";
import { backoff } from "../_util.ts";
import type { Namespace } from "../nats/namespace.ts";
import type { Logger } from "../ops/log.ts";
import type { Messages } from "./consume.ts";

/** Consumer statuses that mean the consumer, or its stream, is gone. */
const LOST: ReadonlySet<ConsumerNotification["type"]> = new Set([
  "consumer_deleted",
  "consumer_not_found",
  "stream_not_found",
]);

/** How long one pull request lasts, in ms: heartbeats come every half of it. */
const PULL_EXPIRES = 5000;
/** The first and the longest wait between attempts to provision the queue again, in ms. */
const RETRY_FIRST = 100;
const RETRY_MAX = 2000;

/** What a {@link JobQueue} needs. */
export interface JobQueueOptions {
  /** Messages held by the worker at once. */
  maxMessages: number;
  log: Logger;
  /** True once the connection is closed for good: the queue ends. */
  closed: () => boolean;
}

/**
 * The workers' consumer's messages, watched: when the server says the consumer or the job
 * stream is gone (a deleted consumer, a missing one after missed heartbeats), the queue
 * logs it, is not {@link JobQueue.ready}, provisions the stream and the consumer again
 * through the namespace (retrying with backoff), and goes on with the new consumer's
 * messages.
 *
 * @example
 * ```ts ignore
 * const queue = await JobQueue.open(namespace, { maxMessages: 8, log, closed: () => nc.isClosed() });
 * for await (const message of queue) message.ack();
 * ```
 */
export class JobQueue implements Messages<JsMsg> {
  readonly #namespace: Pick<Namespace, "js" | "names" | "provisionQueue">;
  readonly #options: JobQueueOptions;
  #messages: ConsumerMessages;
  #ready = true;
  /** Why the server refuses this worker's pulls (the consumer's limits), until one works. */
  #refused: string | undefined;
  #stopped = false;
  readonly #stopping = Promise.withResolvers<void>();

  private constructor(
    namespace: Pick<Namespace, "js" | "names" | "provisionQueue">,
    options: JobQueueOptions,
    messages: ConsumerMessages,
  ) {
    this.#namespace = namespace;
    this.#options = options;
    this.#messages = messages;
  }

  /**
   * Starts pulling from the workers' consumer, which must exist (`Namespace.open` creates
   * it).
   */
  static async open(
    namespace: Pick<Namespace, "js" | "names" | "provisionQueue">,
    options: JobQueueOptions,
  ): Promise<JobQueue> {
    return new JobQueue(
      namespace,
      options,
      await pull(namespace, options.maxMessages),
    );
  }

  /**
   * False from the moment the consumer is known lost until it is consuming again, and
   * while the server refuses the worker's pulls for the consumer's limits.
   */
  get ready(): boolean {
    return this.#ready && !this.#stopped && this.#refused === undefined;
  }

  /** Stops pulling: the iteration ends. */
  stop(): void {
    this.#stopped = true;
    this.#stopping.resolve();
    this.#messages.stop();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<JsMsg> {
    while (!this.#stopped) {
      const lost = watchLoss(this.#messages, this.#limited);
      let error: unknown;
      try {
        for await (const message of this.#messages) {
          if (this.#refused !== undefined) this.#delivering();
          yield message;
        }
      } catch (err) {
        error = err;
      }
      if (this.#stopped || this.#options.closed()) return;
      this.#ready = false;
      this.#options.log.warn(
        "job queue lost; provisioning the stream and the consumer again",
        {
          reason: (await lost.reason) ??
            (error as Error | undefined)?.message ??
            "the consumer's messages ended",
        },
      );
      await this.#reopen();
    }
  }

  /**
   * The server refused a pull for the consumer's limits (edited under the workers: a
   * `max_request_batch` under the concurrency, a `max_request_expires` under 5 s): the
   * client asks again and again, and no tick comes until they are fixed. Logged once.
   */
  #limited = (reason: string): void => {
    if (this.#refused === undefined) {
      this.#options.log.warn(
        "the workers' consumer refuses this worker's pulls; no tick comes until its limits are fixed",
        { reason, consumer: this.#namespace.names.workerConsumer },
      );
    }
    this.#refused = reason;
  };

  /** A message came after pulls were refused: they work again. */
  #delivering(): void {
    this.#options.log.info("the workers' consumer delivers again", {
      refused: this.#refused,
    });
    this.#refused = undefined;
  }

  /** Provisions the stream and the consumer again and pulls from it, until it works. */
  async #reopen(): Promise<void> {
    const { log } = this.#options;
    for (let attempt = 1; !this.#stopped; attempt++) {
      try {
        const provisioned = await this.#namespace.provisionQueue();
        this.#messages = await pull(
          this.#namespace,
          this.#options.maxMessages,
        );
        if (this.#stopped) this.#messages.stop();
        this.#ready = true;
        const { config } = provisioned.consumer;
        log.info("job queue restored", {
          streamCreated: provisioned.createdStream,
          consumerCreated: provisioned.createdConsumer,
          deliverFrom: config.opt_start_time ?? config.deliver_policy,
        });
        if (provisioned.createdConsumer && !provisioned.createdStream) {
          log.warn(
            "ticks stored since deliverFrom are delivered again: those already executed run again",
            { deliverFrom: config.opt_start_time },
          );
        }
        return;
      } catch (err) {
        if (this.#options.closed()) return;
        const delay = backoff(attempt, RETRY_FIRST, RETRY_MAX);
        log.warn("cannot provision the job queue; retrying", {
          error: (err as Error).message,
          delay,
        });
        await Promise.race([
          new Promise((resolve) => setTimeout(resolve, delay)),
          this.#stopping.promise,
        ]);
      }
    }
  }
}

/** Consumes the workers' consumer. */
async function pull(
  namespace: Pick<Namespace, "js" | "names">,
  maxMessages: number,
): Promise<ConsumerMessages> {
  const { js, names } = namespace;
  const consumer = await js.consumers.get(
    names.jobStream,
    names.workerConsumer,
  );
  return await consumer.consume({
    max_messages: maxMessages,
    expires: PULL_EXPIRES,
  });
}

/**
 * Watches the statuses of `messages`: the first that says the consumer or the stream is
 * gone stops them, and `reason` resolves with it (with `undefined` when they end
 * otherwise); each refusal for the consumer's limits is told to `limited`.
 */
function watchLoss(
  messages: ConsumerMessages,
  limited: (reason: string) => void,
): { reason: Promise<string | undefined> } {
  const reason = (async () => {
    for await (const status of messages.status()) {
      if (status.type === "exceeded_limits") limited(status.description);
      if (LOST.has(status.type)) {
        messages.stop();
        return status.type.replaceAll("_", " ");
      }
    }
    return undefined;
  })();
  return { reason };
}
