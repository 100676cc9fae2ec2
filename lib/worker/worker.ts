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
import type { ConsumerMessages, JsMsg } from "@nats-io/jetstream";
import { decodeTick, encodeRunRecord } from "../wire/mod.ts";
import { backoff } from "../_util.ts";
import { WORKER_DEFAULTS } from "../defaults.ts";
import { ScheduleError } from "../errors.ts";
import {
  httpHandler,
  type ModeHandler,
  type RunResult,
} from "../jobs/http/handler.ts";
import { createLogger, type Logger } from "../ops/log.ts";
import { Namespace, type NamespaceOptions } from "../nats/namespace.ts";
import type { RunOutcome, RunRecord, Tick } from "../types.ts";

/**
 * Options of {@link Worker.start}.
 *
 * @example
 * ```ts
 * import type { WorkerOptions } from "@x/schedule";
 * const options: WorkerOptions = { namespace: "beta", concurrency: 8, allowHosts: ["*.example.com"] };
 * ```
 */
export interface WorkerOptions {
  /** The namespace whose queue this worker consumes. */
  namespace: string;
  /** How many executions run at once in this worker (default 8). */
  concurrency?: number;
  /** The HTTP request timeout when a job sets none, in ms (default 30 s). */
  timeout?: number;
  /** How many times a tick is tried before it fails for good (default 5). */
  maxAttempts?: number;
  /** The first retry's delay, in ms, doubling each time (default 1 s). */
  retryDelay?: number;
  /** The longest retry delay, in ms (default 5 min). */
  maxRetryDelay?: number;
  /**
   * How long the shared consumer waits for an ack before it redelivers to another worker,
   * in ms (default 30 s). Used when this worker creates the consumer; a running execution
   * keeps its message by signalling progress.
   */
  ackWait?: number;
  /** Host names HTTP jobs may call (`*.example.com` for subdomains); any when unset. */
  allowHosts?: string[];
  /** The name recorded in the run history (default `$HOSTNAME`, else a random one). */
  name?: string;
  /** How the streams are created if they are missing. */
  queue?: NamespaceOptions;
  /** Where events are logged (default: JSON lines on standard error). */
  logger?: Logger;
  /** Called with each execution's record. */
  onRun?: (record: RunRecord) => void;
}

/**
 * Counters of a worker since it started.
 *
 * @example
 * ```ts
 * import type { WorkerMetrics } from "@x/schedule";
 * const failures = (m: WorkerMetrics) => m.failed;
 * ```
 */
export interface WorkerMetrics {
  /** Executions that succeeded. */
  success: number;
  /** Executions that failed and will be retried. */
  retry: number;
  /** Executions that failed for good. */
  failed: number;
  /** Queue messages that were not valid ticks (terminated). */
  malformed: number;
}

const RESPONSE_LIMIT = 1024;

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
 * worker.handle("log", async (tick) => console.log(tick.key, tick.scheduledAt));
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

  readonly #handles: Namespace;
  readonly #log: Logger;
  readonly #onRun: ((record: RunRecord) => void) | undefined;
  readonly #handlers = new Map<string, ModeHandler>();
  readonly #concurrency: number;
  readonly #maxAttempts: number;
  readonly #retryDelay: number;
  readonly #maxRetryDelay: number;
  readonly #progressEvery: number;
  #stopping = false;
  readonly #running = new Set<Promise<void>>();
  #slotFreed: (() => void) | undefined;
  #messages: ConsumerMessages | undefined;
  #consuming: Promise<void> | undefined;

  private constructor(
    handles: Namespace,
    options: WorkerOptions,
    ackWait: number,
  ) {
    this.#handles = handles;
    this.#log = options.logger ?? createLogger({ debug: false });
    this.#onRun = options.onRun;
    this.#concurrency = options.concurrency ?? WORKER_DEFAULTS.concurrency;
    this.#maxAttempts = options.maxAttempts ?? WORKER_DEFAULTS.maxAttempts;
    this.#retryDelay = options.retryDelay ?? WORKER_DEFAULTS.retryDelay;
    this.#maxRetryDelay = options.maxRetryDelay ??
      WORKER_DEFAULTS.maxRetryDelay;
    this.#progressEvery = Math.max(100, ackWait / 3);
    this.name = options.name ?? Deno.env.get("HOSTNAME") ??
      `worker-${crypto.randomUUID().slice(0, 8)}`;
    this.#handlers.set(
      "HTTP",
      httpHandler({
        timeout: options.timeout ?? WORKER_DEFAULTS.timeout,
        allowHosts: options.allowHosts,
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
    const handles = await Namespace.open(nc, options.namespace, options.queue);
    const ackWait = await handles.ensureWorkerConsumer(
      options.ackWait ?? WORKER_DEFAULTS.ackWait,
    );
    const worker = new Worker(handles, options, ackWait);
    await worker.#start();
    return worker;
  }

  /**
   * Runs jobs of `mode` with `handler`. A tick whose mode has no handler is recorded as
   * failed and terminated.
   *
   * @example
   * ```ts ignore
   * worker.handle("log", async (tick) => {
   *   console.log(tick.key, tick.scheduledAt);
   * });
   * ```
   */
  handle(mode: string, handler: ModeHandler): this {
    this.#handlers.set(mode, handler);
    return this;
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
    if (this.#stopping) return;
    this.#stopping = true;
    this.#slotFreed?.();
    this.#messages?.stop();
    await this.#consuming;
    await Promise.all(this.#running);
  }

  async #start(): Promise<void> {
    const { js, names } = this.#handles;
    const consumer = await js.consumers.get(
      names.jobStream,
      names.workerConsumer,
    );
    this.#messages = await consumer.consume({
      max_messages: this.#concurrency,
    });
    this.#consuming = this.#consume(this.#messages);
    this.#log.info("worker started", {
      namespace: names.namespace,
      worker: this.name,
      concurrency: this.#concurrency,
    });
  }

  async #consume(messages: ConsumerMessages): Promise<void> {
    for await (const message of messages) {
      while (this.#running.size >= this.#concurrency && !this.#stopping) {
        await new Promise<void>((resolve) => this.#slotFreed = resolve);
      }
      if (this.#stopping) {
        message.nak();
        continue;
      }
      const running = this.#execute(message);
      this.#running.add(running);
      running.finally(() => {
        this.#running.delete(running);
        this.#slotFreed?.();
      });
    }
  }

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
    const result = attempt > this.#maxAttempts
      ? {
        outcome: "failed" as const,
        error: `delivered ${attempt} times without an answer`,
      }
      : await this.#run(tick, message, attempt);
    const outcome: RunOutcome =
      result.outcome === "retry" && attempt >= this.#maxAttempts
        ? "failed"
        : result.outcome;
    const record: RunRecord = {
      key: tick.key,
      index: tick.index,
      scheduledAt: tick.scheduledAt,
      attempt,
      startedAt,
      durationMs: Date.now() - startedAt.getTime(),
      outcome,
      worker: this.name,
      ...(result.status === undefined ? {} : { status: result.status }),
      ...(result.response === undefined
        ? {}
        : { response: result.response.slice(0, RESPONSE_LIMIT) }),
      ...(result.error === undefined ? {} : { error: result.error }),
    };
    await this.#record(record);
    this.metrics[outcome]++;
    this.#onRun?.(record);
    const fields = {
      key: tick.key,
      index: tick.index,
      scheduledAt: tick.scheduledAt.toISOString(),
      attempt,
      status: result.status,
      error: result.error,
    };
    if (outcome === "success") {
      this.#log.debug("run succeeded", fields);
      this.#answer(fields, () => message.ack());
    } else if (outcome === "retry") {
      const delay = Math.max(
        backoff(attempt, this.#retryDelay, this.#maxRetryDelay),
        result.retryAfter ?? 0,
      );
      this.#log.warn("run failed; will retry", { ...fields, delay });
      this.#answer(fields, () => message.nak(delay));
    } else {
      this.#log.warn("run failed", fields);
      this.#answer(fields, () => message.term(result.error));
    }
  }

  /**
   * Acks, naks or terminates. When the connection is gone the message stays unanswered
   * and is redelivered after the ack wait: at least once.
   */
  #answer(fields: Record<string, unknown>, answer: () => void): void {
    try {
      answer();
    } catch (err) {
      this.#log.warn(
        "could not answer the queue; the tick will be redelivered",
        {
          ...fields,
          error: (err as Error).message,
        },
      );
    }
  }

  /** Runs the tick's handler, keeping the message while it runs. */
  async #run(
    tick: Tick,
    message: JsMsg,
    attempt: number,
  ): Promise<RunResult> {
    const handler = this.#handlers.get(tick.mode);
    if (!handler) {
      return { outcome: "failed", error: `no handler for mode ${tick.mode}` };
    }
    const progress = setInterval(() => {
      try {
        message.working();
      } catch { /* the connection is gone: the message will be redelivered */ }
    }, this.#progressEvery);
    try {
      const msgId = message.headers?.get("Nats-Msg-Id") ??
        `${message.info.stream}.${message.seq}`;
      return await handler(tick, { attempt, msgId }) ?? { outcome: "success" };
    } catch (err) {
      return { outcome: "retry", error: (err as Error).message };
    } finally {
      clearInterval(progress);
    }
  }

  async #record(record: RunRecord): Promise<void> {
    const { js, names } = this.#handles;
    try {
      await js.publish(
        names.runSubject(record.key, record.index),
        encodeRunRecord(record),
      );
    } catch (err) {
      this.#log.warn("run not recorded in the history", {
        key: record.key,
        index: record.index,
        scheduledAt: record.scheduledAt.toISOString(),
        error: (err as Error).message,
      });
    }
  }
}
