/**
 * The worker: consumes the namespace's job queue and executes each tick, at least once.
 *
 * Workers of a namespace share one durable consumer, so each tick goes to one worker. A
 * transient failure is retried with exponential backoff through the consumer's
 * redelivery; a permanent one, or the last attempt, terminates the message. Every
 * execution is recorded in the namespace's run history.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/nats-core";
import type { JsMsg } from "@nats-io/jetstream";
import { decodeTick } from "../wire/mod.ts";
import { WORKER_DEFAULTS } from "../defaults.ts";
import { ScheduleError } from "../errors.ts";
import { httpHandler } from "../jobs/http/handler.ts";
import { validateMode } from "../jobs/job.ts";
import { createLogger, type Logger } from "../ops/log.ts";
import { Namespace } from "../nats/namespace.ts";
import type { RunRecord, Tick } from "../types.ts";
import { consume, type Consuming } from "./consume.ts";
import type { ModeHandler } from "./handler.ts";
import { writeRun } from "./history.ts";
import {
  decideOutcome,
  exhausted,
  type Outcome,
  type RetryPolicy,
} from "./outcome.ts";
import { runHandler } from "./run_handler.ts";
import { RESPONSE_LIMIT, runRecord } from "./run_record.ts";
import type { WorkerMetrics, WorkerOptions } from "./types.ts";

/**
 * A worker. Start it with {@link Worker.start}; register handlers for modes other than
 * `HTTP` with {@link Worker.handle}; stop it with {@link Worker.stop}.
 *
 * @example
 * ```ts ignore
 * import { connect } from "@nats-io/transport-node";
 * import { Worker } from "@x/schedule";
 *
 * const nc = await connect({ servers: "127.0.0.1:4222", maxReconnectAttempts: -1 });
 * const worker = await Worker.start(nc, { namespace: "beta" });
 * await worker.handle("log", async (tick) => console.log(tick.key, tick.scheduledAt));
 * // ... later
 * await worker.stop();
 * await nc.drain();
 * ```
 */
export class Worker {
  /** Counters since start. */
  readonly metrics: WorkerMetrics = {
    success: 0,
    retry: 0,
    failed: 0,
    malformed: 0,
  };
  /** The name recorded in the run history. */
  readonly name: string;

  readonly #namespace: Namespace;
  readonly #log: Logger;
  readonly #onRun: ((record: RunRecord) => void) | undefined;
  readonly #handlers = new Map<string, ModeHandler>();
  readonly #concurrency: number;
  readonly #retry: RetryPolicy;
  readonly #progressEvery: number;
  #consuming: Consuming | undefined;

  private constructor(
    namespace: Namespace,
    options: WorkerOptions,
    ackWait: number,
  ) {
    this.#namespace = namespace;
    this.#log = options.logger ?? createLogger();
    this.#onRun = options.onRun;
    this.#concurrency = options.concurrency ?? WORKER_DEFAULTS.concurrency;
    this.#retry = {
      maxAttempts: options.maxAttempts ?? WORKER_DEFAULTS.maxAttempts,
      retryDelay: options.retryDelay ?? WORKER_DEFAULTS.retryDelay,
      maxRetryDelay: options.maxRetryDelay ?? WORKER_DEFAULTS.maxRetryDelay,
    };
    this.#progressEvery = Math.max(100, ackWait / 3);
    this.name = options.name ?? Deno.env.get("HOSTNAME") ??
      `worker-${crypto.randomUUID().slice(0, 8)}`;
    this.#handlers.set(
      "HTTP",
      httpHandler({
        timeout: options.timeout ?? WORKER_DEFAULTS.timeout,
        allowHosts: options.allowHosts,
        allowNetworks: options.allowNetworks,
        secretsDir: options.secretsDir,
        responseBytes: RESPONSE_LIMIT,
      }),
    );
  }

  /**
   * Opens the namespace (creating its streams and the shared consumer if missing) and
   * starts consuming.
   *
   * @throws {InvalidNamespaceError} When the namespace is not valid.
   *
   * @example
   * ```ts ignore
   * const worker = await Worker.start(nc, { namespace: "beta", concurrency: 4 });
   * ```
   */
  static async start(
    nc: NatsConnection,
    options: WorkerOptions,
  ): Promise<Worker> {
    const namespace = await Namespace.open(
      nc,
      options.namespace,
      options.queue,
    );
    const ackWait = await namespace.ensureWorkerConsumer(
      options.ackWait ?? WORKER_DEFAULTS.ackWait,
    );
    const worker = new Worker(namespace, options, ackWait);
    await worker.#start();
    return worker;
  }

  /**
   * Runs jobs of `mode` with `handler`, and records the mode in the namespace's modes
   * bucket: `Schedule.set` refuses the jobs of a mode no worker recorded (`HTTP` is built
   * in). A tick whose mode has no handler in this worker is recorded as failed and
   * terminated.
   *
   * @returns A promise resolved once the mode is recorded.
   * @throws {InvalidJobError} When `mode` is not a valid mode name.
   *
   * @example
   * ```ts ignore
   * await worker.handle("log", async (tick) => {
   *   console.log(tick.key, tick.scheduledAt);
   * });
   * ```
   */
  async handle(mode: string, handler: ModeHandler): Promise<void> {
    validateMode(mode);
    this.#handlers.set(mode, handler);
    await this.#namespace.registerMode(mode, this.name);
  }

  /**
   * Stops pulling, lets executions under way finish (each bounded by its timeout), and
   * returns. The connection is the caller's to drain.
   *
   * @example
   * ```ts ignore
   * await worker.stop();
   * ```
   */
  async stop(): Promise<void> {
    await this.#consuming?.stop();
  }

  async #start(): Promise<void> {
    const { js, names } = this.#namespace;
    const consumer = await js.consumers.get(
      names.jobStream,
      names.workerConsumer,
    );
    const messages = await consumer.consume({
      max_messages: this.#concurrency,
    });
    this.#consuming = consume(
      messages,
      this.#concurrency,
      (message) => this.#execute(message),
    );
    this.#log.info("worker started", {
      namespace: names.namespace,
      worker: this.name,
      concurrency: this.#concurrency,
    });
  }

  /** Runs one queue message: decodes it, runs it, records it and answers the queue. */
  async #execute(message: JsMsg): Promise<void> {
    let tick: Tick;
    try {
      tick = decodeTick(message.data);
    } catch (err) {
      if (!(err instanceof ScheduleError)) throw err;
      this.metrics.malformed++;
      this.#log.warn("malformed tick terminated", {
        subject: message.subject,
        error: err.message,
      });
      message.term(err.message);
      return;
    }
    const attempt = message.info.deliveryCount;
    const startedAt = new Date();
    const result = exhausted(attempt, this.#retry.maxAttempts)
      ? undefined
      : await runHandler(
        this.#handlers.get(tick.mode),
        tick,
        message,
        attempt,
        this.#progressEvery,
      );
    const decided = decideOutcome(result, attempt, this.#retry);
    const record = runRecord({
      tick,
      attempt,
      startedAt,
      endedAt: new Date(),
      outcome: decided.outcome,
      result: decided.result,
      worker: this.name,
    });
    await writeRun(this.#namespace, this.#log, record);
    this.metrics[decided.outcome]++;
    this.#onRun?.(record);
    this.#answer(message, tick, attempt, decided);
  }

  /**
   * Logs the outcome and acks, naks or terminates. When the connection is gone the message
   * stays unanswered and is redelivered after the ack wait: at least once.
   */
  #answer(message: JsMsg, tick: Tick, attempt: number, decided: Outcome): void {
    const { answer, result } = decided;
    const fields = {
      key: tick.key,
      index: tick.index,
      scheduledAt: tick.scheduledAt.toISOString(),
      attempt,
      status: result.status,
      error: result.error,
    };
    if (answer.kind === "ack") this.#log.debug("run succeeded", fields);
    else if (answer.kind === "nak") {
      this.#log.warn("run failed; will retry", {
        ...fields,
        delay: answer.delay,
      });
    } else this.#log.warn("run failed", fields);
    try {
      if (answer.kind === "ack") message.ack();
      else if (answer.kind === "nak") message.nak(answer.delay);
      else message.term(answer.reason);
    } catch (err) {
      this.#log.warn(
        "could not answer the queue; the tick will be redelivered",
        { ...fields, error: (err as Error).message },
      );
    }
  }
}
