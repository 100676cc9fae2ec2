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

import { nanos, type NatsConnection } from "@nats-io/nats-core";
import type { JsMsg } from "@nats-io/jetstream";
import type { KvEntry } from "@nats-io/kv";
import { decodeTick, storedRevision } from "../wire/mod.ts";
import { WORKER_DEFAULTS } from "../defaults.ts";
import { ScheduleError } from "../errors.ts";
import { httpHandler } from "../jobs/http/handler.ts";
import { validateMode } from "../jobs/job.ts";
import { createLogger, type Logger } from "../ops/log.ts";
import { pauseDefinition } from "../nats/definitions.ts";
import { publishEvent } from "../nats/events.ts";
import { Namespace } from "../nats/namespace.ts";
import { type ClockReading, ServerClock } from "../nats/server_clock.ts";
import type { RunRecord, Tick } from "../types.ts";
import { consume, type Consuming } from "./consume.ts";
import { Governor, type Lease } from "./governor.ts";
import type { ModeHandler } from "./handler.ts";
import { lostBefore, writeRun } from "./history.ts";
import {
  cancelled,
  decideOutcome,
  exhausted,
  jobRetryPolicy,
  notRun,
  type Outcome,
  type RetryPolicy,
} from "./outcome.ts";
import { JobQueue } from "./queue.ts";
import { runHandler } from "./run_handler.ts";
import {
  RESPONSE_LIMIT,
  runRecord,
  type RunRecordInput,
} from "./run_record.ts";
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
    superseded: 0,
    interrupted: 0,
    skipped: 0,
    cancelled: 0,
    malformed: 0,
  };
  /** The name recorded in the run history. */
  readonly name: string;
  readonly #clock: ServerClock;

  readonly #namespace: Namespace;
  readonly #log: Logger;
  readonly #onRun: ((record: RunRecord) => void) | undefined;
  readonly #handlers = new Map<string, ModeHandler>();
  readonly #concurrency: number;
  readonly #retry: RetryPolicy;
  readonly #progressEvery: number;
  readonly #queue: JobQueue;
  readonly #nc: NatsConnection;
  readonly #governor: Governor;
  readonly #stopping = new AbortController();
  #consuming: Consuming | undefined;

  private constructor(
    nc: NatsConnection,
    namespace: Namespace,
    options: WorkerOptions,
    queue: JobQueue,
    ackWait: number,
    clock: ServerClock,
    log: Logger,
  ) {
    this.#nc = nc;
    this.#namespace = namespace;
    this.#queue = queue;
    this.#log = log;
    this.#clock = clock;
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
    this.#governor = new Governor({
      bucket: () => namespace.runState(),
      worker: this.name,
      staleAfter: ackWait,
      every: this.#progressEvery,
      log: this.#log,
    });
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

  /** The server's clock, which times the runs recorded. */
  get clock(): ClockReading {
    return this.#clock;
  }

  /**
   * Opens the namespace (creating its streams and the shared consumer if missing) and
   * starts consuming. Should the consumer or the job stream be deleted later, the worker
   * logs it, is not {@link Worker.ready}, creates them again and goes on.
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
    const namespace = await Namespace.open(nc, options.namespace, {
      ...options.queue,
      ackWait: options.ackWait,
      catchup: options.catchup,
    });
    const log = options.logger ?? createLogger();
    const queue = await JobQueue.open(namespace, {
      maxMessages: options.concurrency ?? WORKER_DEFAULTS.concurrency,
      log,
      closed: () => nc.isClosed(),
    });
    const { config } = await namespace.jsm.consumers.info(
      namespace.names.jobStream,
      namespace.names.workerConsumer,
    );
    const clock = await ServerClock.start({
      probe: () => namespace.serverTime(),
      maxOffset: options.maxClockOffset,
      log,
    });
    const worker = new Worker(
      nc,
      namespace,
      options,
      queue,
      (config.ack_wait ?? nanos(WORKER_DEFAULTS.ackWait)) / 1e6,
      clock,
      log,
    );
    worker.#start();
    return worker;
  }

  /**
   * True while the worker consumes the job queue: false once stopped, and from the
   * moment its consumer or the job stream is found gone until it consumes again.
   *
   * @example
   * ```ts ignore
   * if (!worker.ready) console.warn("not consuming");
   * ```
   */
  get ready(): boolean {
    return this.#queue.ready;
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
   * Stops pulling, lets executions under way finish (each bounded by its timeout), gives
   * ticks waiting for their job's run in progress back to the queue, and returns. The connection is the caller's to drain.
   *
   * @example
   * ```ts ignore
   * await worker.stop();
   * ```
   */
  async stop(): Promise<void> {
    this.#stopping.abort();
    await Promise.all([this.#consuming?.stop(), this.#clock.stop()]);
  }

  #start(): void {
    this.#consuming = consume(
      this.#queue,
      this.#concurrency,
      (message) => this.#execute(message),
    );
    this.#log.info("worker started", {
      namespace: this.#namespace.names.namespace,
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
    if (await lostBefore(this.#namespace, tick, attempt)) {
      await this.#record(tick, attempt - 1, new Date(this.#clock.now()), {
        outcome: "interrupted",
        result: {
          error:
            `attempt ${attempt - 1} never answered: its worker stopped or ` +
            "lost NATS mid-call (or could not record it)",
        },
      });
    }
    const replaced = await this.#superseded(tick);
    if (replaced !== null) {
      const decided = notRun("superseded", replaced);
      await this.#record(tick, attempt, new Date(this.#clock.now()), decided);
      return this.#answer(message, tick, attempt, decided);
    }
    const retry = jobRetryPolicy(this.#retry, tick.policy?.retry);
    if (exhausted(attempt, retry.maxAttempts)) {
      return await this.#end(
        message,
        tick,
        attempt,
        new Date(this.#clock.now()),
        decideOutcome(undefined, attempt, retry),
      );
    }
    const admitted = await this.#governor.admit(
      tick,
      () => message.working(),
      this.#stopping.signal,
    );
    if (admitted.kind === "stopped") {
      this.#log.info("worker stopping: waiting tick left to the queue", {
        key: tick.key,
        index: tick.index,
        scheduledAt: tick.scheduledAt.toISOString(),
      });
      return message.nak();
    }
    if (admitted.kind === "skip") {
      const decided = notRun("skipped", admitted.reason);
      await this.#record(tick, attempt, new Date(this.#clock.now()), decided);
      this.#publish(tick, "skipped", admitted.reason);
      return this.#answer(message, tick, attempt, decided);
    }
    const { lease } = admitted;
    const startedAt = new Date(this.#clock.now());
    const signal = lease?.signal ?? new AbortController().signal;
    const result = await runHandler(
      this.#handlers.get(tick.mode),
      tick,
      message,
      attempt,
      this.#progressEvery,
      signal,
    );
    const decided = signal.aborted
      ? cancelled(result, String(signal.reason))
      : decideOutcome(result, attempt, retry);
    await this.#end(message, tick, attempt, startedAt, decided, lease);
  }

  /**
   * Ends an attempt that was due: records it, releases its job's lock and counts its
   * job's consecutive failures (pausing the key when they reach `pauseAfterFailures`),
   * publishes `failed` after the last attempt, and answers the queue.
   */
  async #end(
    message: JsMsg,
    tick: Tick,
    attempt: number,
    startedAt: Date,
    decided: Outcome,
    lease?: Lease,
  ): Promise<void> {
    await this.#record(tick, attempt, startedAt, decided);
    try {
      const { pause, failures } = await this.#governor.settle(
        tick,
        lease,
        decided.outcome,
      );
      if (pause) await this.#pause(tick, failures, decided.result.error);
    } catch (err) {
      this.#log.warn(
        "run state not updated: the lock goes stale after the ack wait",
        {
          key: tick.key,
          index: tick.index,
          scheduledAt: tick.scheduledAt.toISOString(),
          error: (err as Error).message,
        },
      );
    }
    if (decided.outcome === "failed") {
      this.#publish(tick, "failed", decided.result.error);
    }
    this.#answer(message, tick, attempt, decided);
  }

  /** Pauses the key of `tick` after `failures` consecutive failed ticks of its job. */
  async #pause(tick: Tick, failures: number, error?: string): Promise<void> {
    const note = `paused after ${failures} consecutive failed ticks` +
      (error === undefined ? "" : ` (last: ${error})`);
    const by = `worker ${this.name}`;
    const paused = await pauseDefinition(this.#namespace, tick.key, {
      note,
      at: new Date().toISOString(),
      by,
    });
    if (!paused) return;
    this.#log.warn("key paused after consecutive failures", {
      key: tick.key,
      index: tick.index,
      failures,
      note,
    });
    publishEvent(this.#nc, this.#namespace.names, {
      type: "paused",
      at: new Date(),
      key: tick.key,
      index: tick.index,
      by,
      detail: note,
    });
  }

  /** Publishes a tick event of `type` about `tick`. */
  #publish(tick: Tick, type: "failed" | "skipped", detail?: string): void {
    publishEvent(this.#nc, this.#namespace.names, {
      type,
      at: new Date(),
      key: tick.key,
      index: tick.index,
      scheduledAt: tick.scheduledAt,
      by: `worker ${this.name}`,
      ...(detail === undefined ? {} : { detail }),
    });
  }

  /** Records attempt `attempt` of `tick`, counts it and reports it to `onRun`. */
  async #record(
    tick: Tick,
    attempt: number,
    startedAt: Date,
    decided: Pick<Outcome, "outcome"> & { result: RunRecordInput["result"] },
  ): Promise<void> {
    const record = runRecord({
      tick,
      attempt,
      startedAt,
      endedAt: new Date(this.#clock.now()),
      outcome: decided.outcome,
      result: decided.result,
      worker: this.name,
    });
    await writeRun(this.#namespace, this.#log, record);
    this.metrics[decided.outcome]++;
    this.#onRun?.(record);
  }

  /**
   * Why `tick` must not run: its definition was removed or replaced (a `set`; a pause or
   * resume keeps it) since the tick. `null` when it may run: the definition is the
   * tick's, the tick carries no revision (an older node's), or the bucket cannot be read
   * now (logged; the tick runs rather than being lost).
   */
  async #superseded(tick: Tick): Promise<string | null> {
    if (tick.revision === undefined) return null;
    let entry: KvEntry | null;
    try {
      entry = await this.#namespace.kv.get(tick.key);
    } catch (err) {
      this.#log.warn("cannot read the definition; running the tick", {
        key: tick.key,
        error: (err as Error).message,
      });
      return null;
    }
    if (entry === null || entry.operation !== "PUT") {
      return `definition removed since revision ${tick.revision}`;
    }
    if (entry.revision === tick.revision) return null;
    const current = storedRevision(entry.value, entry.revision);
    return current === tick.revision
      ? null
      : `definition replaced: revision ${tick.revision} by ${current}`;
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
    else if (decided.outcome === "superseded") {
      this.#log.info("tick superseded; not run", fields);
    } else if (decided.outcome === "skipped") {
      this.#log.info("tick skipped; not run", fields);
    } else if (decided.outcome === "cancelled") {
      this.#log.info("run cancelled for a newer tick", fields);
    } else if (answer.kind === "nak") {
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
