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
import { WORKER_DEFAULTS } from "../defaults.ts";
import { httpHandler } from "../jobs/http/handler.ts";
import { validateMode } from "../jobs/job.ts";
import { createLogger, type Logger } from "../ops/log.ts";
import { Namespace } from "../nats/namespace.ts";
import { type ClockReading, ServerClock } from "../nats/server_clock.ts";
import { StreamSender } from "../nats/stream_sender.ts";
import { consume, type Consuming } from "./consume.ts";
import { execute } from "./execution.ts";
import { Governor } from "./governor.ts";
import { RunHistory } from "./history.ts";
import type { ModeHandler } from "./handler.ts";
import type { RetryPolicy } from "./outcome.ts";
import { JobQueue } from "./queue.ts";
import { RESPONSE_LIMIT } from "./run_record.ts";
import type { WorkerMetrics, WorkerOptions } from "./types.ts";
import { definitionReader } from "./superseded.ts";
import { NATS_TIMEOUT, type WorkerContext } from "./_util.ts";

/**
 * How many executions per concurrency slot may be ending (their record written, the queue
 * answered: a round trip to NATS) while the slots call on.
 */
const ENDINGS_PER_SLOT = 4;

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
    ranAlready: 0,
    unrecorded: 0,
    errors: 0,
  };
  /** The name recorded in the run history. */
  readonly name: string;
  readonly #clock: ServerClock;
  readonly #context: WorkerContext;
  readonly #concurrency: number;
  readonly #queue: JobQueue;
  /** Writes the run records, and reads the definitions: one inbox each. */
  readonly #senders: StreamSender[];
  readonly #stopping = new AbortController();
  #consuming: Consuming | undefined;
  #stopped: Promise<void> | undefined;

  private constructor(
    nc: NatsConnection,
    namespace: Namespace,
    options: WorkerOptions,
    queue: JobQueue,
    ackWait: number,
    clock: ServerClock,
    log: Logger,
  ) {
    this.#queue = queue;
    this.#clock = clock;
    const { names } = namespace;
    const [records, definitions] = this.#senders = [
      names.runStream,
      `KV_${names.bucket}`,
    ].map((stream) => new StreamSender(nc, stream, NATS_TIMEOUT));
    this.#concurrency = options.concurrency ?? WORKER_DEFAULTS.concurrency;
    const progressEvery = Math.max(100, ackWait / 3);
    this.name = options.name ?? Deno.env.get("HOSTNAME") ??
      `worker-${crypto.randomUUID().slice(0, 8)}`;
    this.#context = {
      nc,
      namespace,
      name: this.name,
      log,
      clock,
      metrics: this.metrics,
      onRun: options.onRun,
      handlers: new Map([["HTTP", builtinHttpHandler(options)]]),
      retry: retryPolicy(options),
      progressEvery,
      readDefinition: definitionReader(definitions, namespace),
      history: new RunHistory(
        records,
        names,
        log,
        this.metrics,
        () => namespace.provisionRunHistory(),
      ),
      governor: new Governor({
        bucket: () => namespace.runState(),
        restore: () => namespace.provisionRunState(),
        worker: this.name,
        staleAfter: ackWait,
        every: progressEvery,
        now: () => clock.now(),
        log,
      }),
      stopping: this.#stopping.signal,
      executing: new Set(),
    };
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
    const { config } = await namespace.jsm.consumers.info(
      namespace.names.jobStream,
      namespace.names.workerConsumer,
    );
    const clock = await ServerClock.start({
      probe: () => namespace.serverTime(),
      maxOffset: options.maxClockOffset,
      log,
    });
    // Pulling comes last: a start that fails leaves no pull running (the service tries
    // again every 2 s) and no tick held unanswered until the ack wait.
    let queue: JobQueue;
    try {
      queue = await JobQueue.open(namespace, {
        maxMessages: options.concurrency ?? WORKER_DEFAULTS.concurrency,
        log,
        closed: () => nc.isClosed(),
      });
    } catch (err) {
      clock.stop();
      throw err;
    }
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
    this.#context.handlers.set(mode, handler);
    await this.#context.namespace.registerMode(mode, this.name);
  }

  /**
   * Stops pulling, lets executions under way finish (each bounded by its timeout), gives
   * ticks waiting for their job's run in progress back to the queue, and returns. Every
   * call returns the same promise: a second call waits for the stop as the first does.
   * The connection is the caller's to drain.
   *
   * @example
   * ```ts ignore
   * await worker.stop();
   * ```
   */
  stop(): Promise<void> {
    return this.#stopped ??= this.#stop();
  }

  async #stop(): Promise<void> {
    this.#stopping.abort();
    this.#clock.stop();
    await this.#consuming?.stop();
    for (const sender of this.#senders) sender.close();
  }

  #start(): void {
    this.#consuming = consume(
      this.#queue,
      this.#concurrency,
      (message) => execute(this.#context, message),
      {
        endings: ENDINGS_PER_SLOT * this.#concurrency,
        progressEvery: this.#context.progressEvery,
      },
    );
    this.#context.log.info("worker started", {
      namespace: this.#context.namespace.names.namespace,
      worker: this.name,
      concurrency: this.#concurrency,
    });
  }
}

/** The worker's retry policy: its options, else the defaults. */
function retryPolicy(options: WorkerOptions): RetryPolicy {
  return {
    maxAttempts: options.maxAttempts ?? WORKER_DEFAULTS.maxAttempts,
    retryDelay: options.retryDelay ?? WORKER_DEFAULTS.retryDelay,
    maxRetryDelay: options.maxRetryDelay ?? WORKER_DEFAULTS.maxRetryDelay,
  };
}

/** The handler of the built-in `HTTP` mode, by the worker's options. */
function builtinHttpHandler(options: WorkerOptions): ModeHandler {
  return httpHandler({
    timeout: options.timeout ?? WORKER_DEFAULTS.timeout,
    allowHosts: options.allowHosts,
    allowNetworks: options.allowNetworks,
    secretsDir: options.secretsDir,
    responseBytes: RESPONSE_LIMIT,
  });
}
