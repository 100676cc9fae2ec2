/**
 * Creates what a namespace needs in NATS when it is missing: the definitions bucket, the
 * modes bucket, the job stream and the run history stream. Client, node and worker open
 * it; existing resources are left as they are.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/nats-core";
import { nanos } from "@nats-io/nats-core";
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  jetstream,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
  type StreamInfo,
} from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { ScheduleError } from "../errors.ts";
import { NamespaceNames } from "./names.ts";
import type { Logger } from "../ops/log.ts";

/**
 * How the job and history streams are created when they do not exist yet.
 *
 * @example
 * ```ts
 * import type { NamespaceOptions } from "@x/schedule";
 * const options: NamespaceOptions = { maxAge: 24 * 3600_000, duplicateWindow: 120_000, replicas: 3 };
 * ```
 */
export interface NamespaceOptions {
  /** How long ticks are kept, in ms (default 24 h). `state.prev` is known for that long. */
  maxAge?: number;
  /** The deduplication window, in ms (default 2 min, at least 2 min). */
  duplicateWindow?: number;
  /**
   * Stream and bucket replicas (default 1). When given, an existing stream or bucket with
   * other replicas is left as it is and a warning is logged with `logger`.
   */
  replicas?: number;
  /** Where the warnings about existing streams and buckets go. */
  logger?: Pick<Logger, "warn">;
  /** How long run records are kept, in ms (default 7 days). */
  historyMaxAge?: number;
  /** How many run records are kept per job (default 100). */
  historyPerJob?: number;
}

/** The default job stream duplicate window: two minutes. */
const DEFAULT_DUPLICATE_WINDOW = 120_000;
const DEFAULT_MAX_AGE = 24 * 3600_000;
const DEFAULT_HISTORY_MAX_AGE = 7 * 24 * 3600_000;
const DEFAULT_HISTORY_PER_JOB = 100;

/**
 * One namespace in NATS: its names, its definitions bucket, its job and run history
 * streams, and the reads every role makes of them.
 *
 * @example
 * ```ts ignore
 * import { connect } from "@nats-io/transport-node";
 * import { Namespace } from "./namespace.ts";
 * const nc = await connect({ servers: "127.0.0.1:4222" });
 * const namespace = await Namespace.open(nc, "beta");
 * const status = await namespace.kv.status();
 * ```
 */
export class Namespace {
  private constructor(
    /** The namespace's names. */
    readonly names: NamespaceNames,
    /** JetStream client. */
    readonly js: JetStreamClient,
    /** JetStream manager. */
    readonly jsm: JetStreamManager,
    /** The definitions bucket. */
    readonly kv: KV,
    /** The modes workers have registered a handler for, by mode. */
    readonly modes: KV,
    /** The job stream as it was when the namespace was opened. */
    readonly jobStream: StreamInfo,
    /** The run history stream as it was when the namespace was opened. */
    readonly runStream: StreamInfo,
  ) {}

  /**
   * Opens a namespace, creating its bucket and streams if they are missing.
   *
   * @throws {InvalidNamespaceError} When the namespace is not valid.
   */
  static async open(
    nc: NatsConnection,
    namespace: string,
    options: NamespaceOptions = {},
  ): Promise<Namespace> {
    const names = new NamespaceNames(namespace);
    const js = jetstream(nc);
    const jsm = await js.jetstreamManager();
    const replicas = options.replicas ?? 1;
    const kv = await new Kvm(js).create(names.bucket, {
      history: 5,
      storage: StorageType.File,
      replicas,
      description: `schedule definitions of namespace ${namespace}`,
    });
    const modes = await new Kvm(js).create(names.modesBucket, {
      history: 1,
      storage: StorageType.File,
      replicas,
      description:
        `modes the workers of schedule namespace ${namespace} handle`,
    });
    const jobStream = await ensureStream(jsm, replicas, {
      name: names.jobStream,
      description: `schedule job queue of namespace ${namespace}`,
      subjects: [names.jobSubjects],
      max_age: nanos(options.maxAge ?? DEFAULT_MAX_AGE),
      duplicate_window: nanos(
        Math.max(
          DEFAULT_DUPLICATE_WINDOW,
          options.duplicateWindow ?? DEFAULT_DUPLICATE_WINDOW,
        ),
      ),
    });
    const runStream = await ensureStream(jsm, replicas, {
      name: names.runStream,
      description: `schedule run history of namespace ${namespace}`,
      subjects: [names.runSubjects],
      max_age: nanos(options.historyMaxAge ?? DEFAULT_HISTORY_MAX_AGE),
      max_msgs_per_subject: options.historyPerJob ?? DEFAULT_HISTORY_PER_JOB,
    });
    if (options.replicas !== undefined && options.logger !== undefined) {
      const found: [string, number][] = [
        [`KV_${names.bucket}`, (await kv.status()).replicas],
        [`KV_${names.modesBucket}`, (await modes.status()).replicas],
        [names.jobStream, jobStream.config.num_replicas],
        [names.runStream, runStream.config.num_replicas],
      ];
      for (const [stream, existing] of found) {
        if (existing === replicas) continue;
        options.logger.warn(
          "existing stream has other replicas; left as it is",
          {
            stream,
            replicas: existing,
            configured: replicas,
          },
        );
      }
    }
    return new Namespace(names, js, jsm, kv, modes, jobStream, runStream);
  }

  /** Records that the worker named `worker` runs the jobs of `mode`. */
  async registerMode(mode: string, worker: string): Promise<void> {
    await this.modes.put(
      mode,
      JSON.stringify({ worker, registeredAt: new Date().toISOString() }),
    );
  }

  /** Whether the workers run the jobs of `mode`: `HTTP`, or a mode one registered. */
  async knowsMode(mode: string): Promise<boolean> {
    if (mode === "HTTP") return true;
    const entry = await this.modes.get(mode);
    return entry !== null && entry.operation === "PUT";
  }

  /**
   * The last message on `subject` of `stream`, decoded; `null` when there is none, or
   * when it is not valid (`decode` threw a {@link ScheduleError}).
   */
  async last<T>(
    stream: string,
    subject: string,
    decode: (bytes: Uint8Array) => T,
  ): Promise<T | null> {
    const stored = await this.jsm.streams.getMessage(stream, {
      last_by_subj: subject,
    });
    return stored === null ? null : decodeOrNull(stored.data, decode);
  }

  /**
   * The messages of `stream` on `filter` held now, oldest first, decoded; invalid ones
   * are skipped. With `lastPerSubject`, only the last message of each subject.
   */
  async *read<T>(
    stream: string,
    filter: string,
    decode: (bytes: Uint8Array, subject: string) => T,
    lastPerSubject = false,
  ): AsyncIterable<T> {
    const info = await this.jsm.streams.info(stream);
    if (info.state.messages === 0) return;
    const consumer = await this.js.consumers.get(stream, {
      filter_subjects: filter,
      deliver_policy: lastPerSubject
        ? DeliverPolicy.LastPerSubject
        : DeliverPolicy.All,
    });
    const messages = await consumer.consume();
    const { num_pending } = await consumer.info(true);
    if (num_pending === 0) return messages.stop();
    for await (const message of messages) {
      const value = decodeOrNull(
        message.data,
        (bytes) => decode(bytes, message.subject),
      );
      if (value !== null) yield value;
      if (message.info.pending === 0) break;
    }
  }

  /**
   * Creates the workers' shared consumer if it is missing; returns its ack wait in ms
   * (the existing consumer's, or `ackWait` for a new one).
   */
  async ensureWorkerConsumer(ackWait: number): Promise<number> {
    const { jsm, names } = this;
    try {
      const info = await jsm.consumers.info(
        names.jobStream,
        names.workerConsumer,
      );
      return (info.config.ack_wait ?? nanos(ackWait)) / 1e6;
    } catch (err) {
      if (
        !(err instanceof JetStreamApiError &&
          err.code === JetStreamApiCodes.ConsumerNotFound)
      ) {
        throw err;
      }
    }
    const info = await jsm.consumers.add(names.jobStream, {
      durable_name: names.workerConsumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
      filter_subject: names.jobSubjects,
      ack_wait: nanos(ackWait),
      max_ack_pending: 10_000,
    });
    return (info.config.ack_wait ?? nanos(ackWait)) / 1e6;
  }
}

function decodeOrNull<T>(
  bytes: Uint8Array,
  decode: (bytes: Uint8Array) => T,
): T | null {
  try {
    return decode(bytes);
  } catch (err) {
    if (err instanceof ScheduleError) return null;
    throw err;
  }
}

/**
 * Returns the stream as it is, or creates it: file storage, limits retention, oldest
 * messages dropped first, direct gets allowed, plus `config`.
 */
async function ensureStream(
  jsm: JetStreamManager,
  replicas: number,
  config: Partial<StreamConfig> & { name: string },
): Promise<StreamInfo> {
  try {
    return await jsm.streams.info(config.name);
  } catch (err) {
    if (
      !(err instanceof JetStreamApiError &&
        err.code === JetStreamApiCodes.StreamNotFound)
    ) {
      throw err;
    }
  }
  return await jsm.streams.add({
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    num_replicas: replicas,
    allow_direct: true,
    ...config,
  });
}
