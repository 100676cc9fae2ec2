/**
 * One namespace in NATS, as client, node and worker open it: its names, buckets and
 * streams (created when missing, see `provision.ts`) and the reads every role makes.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/nats-core";
import {
  type ConsumerInfo,
  DeliverPolicy,
  jetstream,
  type JetStreamClient,
  type JetStreamManager,
  jetstreamManager,
  StorageType,
  type StreamInfo,
} from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import {
  NotFoundError,
  ScheduleError,
  UnsupportedServerError,
} from "../errors.ts";
import {
  type BucketEntry,
  type BucketReadClient,
  followBucket,
  readBucket,
} from "./bucket_read.ts";
import { NamespaceNames } from "./names.ts";
import { followAgain, whileSame } from "./stream_follow.ts";
import type { Logger } from "../ops/log.ts";
import {
  createBucket,
  ensureStream,
  ensureWorkerConsumer,
  isStreamNotFound,
  jobStreamConfig,
  provisionNamespace,
  runStreamConfig,
} from "./provision.ts";
import { parseTimestamp } from "./timestamp.ts";
import { assertSupportedServer } from "./server_version.ts";

/** How long a stream's read waits for its next message: see {@link Namespace.read}. */
const READ_SILENCE = 10_000;

/** How {@link Namespace.read} reads. */
export interface ReadOptions {
  /** Only the last message of each subject. @default false */
  lastPerSubject?: boolean;
  /** How long it waits for the next message before it fails, in ms. @default 10000 */
  silence?: number;
}

export { DEFINITION_HISTORY } from "./provision.ts";

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
  /**
   * How old the ticks are that the workers' consumer starts with when it is created, in
   * ms (default 60 s, the node's `catchup`): a consumer created on a stream that already
   * holds ticks delivers only those stored in this window; on a new stream, all of them.
   */
  catchup?: number;
  /**
   * The workers' consumer's ack wait, in ms. When set, an existing consumer with another
   * ack wait is updated to it; when left out, a new consumer gets 30 s and an existing
   * one keeps its own.
   */
  ackWait?: number;
}

/** What {@link Namespace.watchDefinitions} calls. */
export interface DefinitionsFollower {
  /** Each entry read or followed, in revision order. */
  each(entry: BucketEntry): void;
  /** Every stored entry is read: the follow starts once this resolves. */
  read(): void | Promise<void>;
  /**
   * How many keys the follower holds a definition of: a bucket followed to its end with
   * fewer messages was purged (see `whileSame`), and is read again.
   */
  held(): number;
  /**
   * Where a failure the follow retries is logged (`following the definitions failed;
   * trying again`, with the wait and the revision it goes on from).
   */
  log: Pick<Logger, "warn">;
}

/** What {@link Namespace.keepFollowing} calls. */
export interface KeptFollower {
  /** Each entry read or followed, in revision order. */
  each(entry: BucketEntry): void;
  /** The stream changed under the follow, or it failed (`reason`): what was read goes. */
  reload(reason: string): void;
  /** Where the retried failures of the follow are logged. */
  log: Pick<Logger, "warn">;
  /**
   * How many keys the follower holds, for the definitions (see
   * {@link DefinitionsFollower.held}); the run history's records expire, so it has none.
   */
  held?: () => number;
}

/** What {@link Namespace.provisionQueue} found or made. */
export interface QueueProvisioned {
  /** The workers' consumer as it is now. */
  consumer: ConsumerInfo;
  /** True when the consumer did not exist and was created. */
  createdConsumer: boolean;
  /** True when the job stream did not exist and was created. */
  createdStream: boolean;
}

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
  readonly #nc: NatsConnection;
  readonly #options: NamespaceOptions;
  #runState: Promise<KV> | undefined;
  #nodeState: Promise<KV> | undefined;

  private constructor(
    nc: NatsConnection,
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
    options: NamespaceOptions,
  ) {
    this.#nc = nc;
    this.#options = options;
  }

  /** The largest message the server accepts, in bytes (as it told the connection). */
  get maxPayload(): number {
    return this.#nc.info?.max_payload ?? Infinity;
  }

  /**
   * Opens a namespace, creating its bucket, streams and the workers' consumer if they are
   * missing.
   *
   * @throws {InvalidNamespaceError} When the namespace is not valid.
   * @throws {UnsupportedServerError} When the server is older than nats-server 2.10.
   */
  static async open(
    nc: NatsConnection,
    namespace: string,
    options: NamespaceOptions = {},
  ): Promise<Namespace> {
    assertSupportedServer(nc.info?.version);
    const names = new NamespaceNames(namespace);
    const js = jetstream(nc);
    const jsm = await js.jetstreamManager();
    const { kv, modes, jobStream, runStream } = await provisionNamespace(
      js,
      jsm,
      names,
      options,
    );
    const opened = new Namespace(
      nc,
      names,
      js,
      jsm,
      kv,
      modes,
      jobStream,
      runStream,
      options,
    );
    await ensureWorkerConsumer(jsm, names, options);
    return opened;
  }

  /**
   * Makes sure the job stream and the workers' consumer exist, creating what is missing
   * (after the stream, or the consumer alone, was deleted under a running worker).
   *
   * @example
   * ```ts ignore
   * const { createdConsumer } = await namespace.provisionQueue();
   * ```
   */
  async provisionQueue(): Promise<QueueProvisioned> {
    const stream = await ensureStream(
      this.jsm,
      this.#options.replicas ?? 1,
      jobStreamConfig(this.names, this.#options),
    );
    const { consumer, created } = await ensureWorkerConsumer(
      this.jsm,
      this.names,
      this.#options,
    );
    return {
      consumer,
      createdConsumer: created,
      createdStream: stream.created,
    };
  }

  /**
   * Creates the run history stream again when it is missing (deleted under a running
   * worker), as {@link provisionQueue} does the job queue; true when it was missing.
   *
   * @example
   * ```ts ignore
   * if (await namespace.provisionRunHistory()) log.warn("run history created again");
   * ```
   */
  async provisionRunHistory(): Promise<boolean> {
    const stream = await ensureStream(
      this.jsm,
      this.#options.replicas ?? 1,
      runStreamConfig(this.names, this.#options),
    );
    return stream.created;
  }

  /** The definitions bucket's stream as it is now, or `null` when it does not exist. */
  bucketInfo(): Promise<StreamInfo | null> {
    return bucketStreamInfo(this.jsm, this.names);
  }

  /** The run history's stream as it is now, or `null` when it does not exist. */
  runHistoryInfo(): Promise<StreamInfo | null> {
    return streamInfo(this.jsm, this.names.runStream);
  }

  /** The connection and its JetStream API, as the bucket's reads use them. */
  get #client(): BucketReadClient {
    return { nc: this.#nc, js: this.js, jsm: this.jsm };
  }

  /**
   * One pass over the definitions bucket created at `created` (`StreamInfo.created`): reads
   * the last entry of every key, and those stored meanwhile (`readBucket`), awaits
   * `follower.read`, then follows the bucket from the next revision (`followBucket`),
   * calling `follower.each` for every entry in revision order, until `signal` is aborted,
   * the follow fails, or the bucket is deleted, created again or purged (see `whileSame`).
   * Resolves with why it ended.
   *
   * @throws {Error} When the read or the follow fails.
   */
  watchDefinitions(
    created: string,
    follower: DefinitionsFollower,
    signal: AbortSignal,
  ): Promise<string> {
    return this.#watch("definitions", created, follower, signal);
  }

  /**
   * Reads stream `which` (the definitions bucket, or the run history: the last entry of
   * each subject), then follows it until `signal` is aborted, and again from its start
   * each time it is deleted, created again or purged (with `follower.held`) or its
   * follow fails: `follower.reload` is told why, and the passes wait 1 s doubling to
   * 30 s while they keep failing (see
   * `followAgain`). A failure the follow retries is logged
   * `following the definitions failed; trying again` (or the run history). Resolves once
   * the first read is done, with the whole follow, which settles at the abort.
   *
   * @throws {Error} When the first read fails (the stream does not exist, say).
   */
  async keepFollowing(
    which: "definitions" | "runs",
    follower: KeptFollower,
    signal: AbortSignal,
  ): Promise<{ following: Promise<void> }> {
    const { what, info } = this.#followed(which);
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    let loaded = false;
    const pass = async () => {
      const now = await info();
      if (now === null) throw new Error(`${what} does not exist`);
      return this.#watch(which, now.created, {
        each: follower.each,
        read: () => {
          loaded = true;
          resolve();
        },
        log: follower.log,
        held: follower.held ?? (() => 0),
      }, signal);
    };
    const following = followAgain(pass, {
      loaded: () => loaded,
      signal,
      reload: follower.reload,
    });
    following.then(resolve, reject);
    await promise;
    return { following };
  }

  /** The followed stream `which`: what it is, its state, and where its entries are. */
  #followed(which: "definitions" | "runs") {
    if (which === "definitions") {
      const { bucket } = this.names;
      return {
        what: "the definitions bucket",
        name: "the definitions",
        info: () => this.bucketInfo(),
        where: { stream: `KV_${bucket}`, prefix: `$KV.${bucket}.` },
      };
    }
    const { runStream, runSubjects } = this.names;
    return {
      what: "the run history",
      name: "the run history",
      info: () => this.runHistoryInfo(),
      where: { stream: runStream, prefix: runSubjects.slice(0, -1) },
    };
  }

  /** The pass of {@link watchDefinitions} and {@link keepFollowing} over `where`. */
  #watch(
    which: "definitions" | "runs",
    created: string,
    follower: DefinitionsFollower,
    signal: AbortSignal,
  ): Promise<string> {
    const { what, name, info, where } = this.#followed(which);
    const { each, read, log, held } = follower;
    let revision = 0;
    const apply = (entry: BucketEntry) => {
      each(entry);
      revision = entry.revision;
    };
    const retrying = (error: Error, delay: number) =>
      log.warn(`following ${name} failed; trying again`, {
        error: error.message,
        delay,
        from: revision + 1,
      });
    const followed = { what, info, created, sequence: () => revision, held };
    return whileSame(followed, signal, async (ending) => {
      const from = { ...where, signal: ending };
      const last = await readBucket(this.#client, from, apply);
      await read();
      await followBucket(this.#client, { ...from, retrying }, last + 1, apply);
    });
  }

  /** Creates the definitions bucket again if it is missing (it was deleted). */
  async provisionBucket(): Promise<void> {
    await createBucket(this.js, this.names, this.jobStream.config.num_replicas);
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
   * The run state bucket (`schedule-<ns>-running`: one entry per governed job, see the
   * worker's `run_state.ts`), created on first use, so a namespace without governed jobs
   * never has it.
   */
  runState(): Promise<KV> {
    return this.#runState ??= this.#lazyBucket(
      this.names.runStateBucket,
      "run state (overlap, failures)",
      () => this.#runState = undefined,
    );
  }

  /**
   * Creates the run state bucket again when it is missing (deleted under a running
   * worker), as {@link provisionQueue} does the job queue; true when it was missing.
   *
   * @example
   * ```ts ignore
   * if (await namespace.provisionRunState()) log.warn("run state bucket created again");
   * ```
   */
  async provisionRunState(): Promise<boolean> {
    const stream = `KV_${this.names.runStateBucket}`;
    if (await streamInfo(this.jsm, stream) !== null) return false;
    this.#runState = undefined;
    await this.runState();
    return true;
  }

  /**
   * The nodes' bucket (`schedule_<ns>_nodes`: how far the nodes settled the ticks, see
   * the node's `settled.ts`), created on first use; with `again`, opened (or created)
   * anew, as after it was deleted.
   */
  nodeState(again = false): Promise<KV> {
    if (again) this.#nodeState = undefined;
    return this.#nodeState ??= this.#lazyBucket(
      this.names.nodesBucket,
      "nodes' settled ticks",
      () => this.#nodeState = undefined,
    );
  }

  /**
   * A bucket of one entry per key, with the job stream's replicas; `forget` drops a failed
   * attempt, so the next call tries again.
   */
  #lazyBucket(name: string, what: string, forget: () => void): Promise<KV> {
    return new Kvm(this.js).create(name, {
      history: 1,
      storage: StorageType.File,
      replicas: this.jobStream.config.num_replicas,
      description: `schedule ${what} of namespace ${this.names.namespace}`,
    }).catch((err) => {
      forget();
      throw err;
    });
  }

  /**
   * The last message on `subject` of `stream`, decoded: `undefined` when there is none
   * (or the stream does not exist), `null` when it is not valid (`decode` threw a
   * {@link ScheduleError}: data written by someone else).
   */
  async last<T>(
    stream: string,
    subject: string,
    decode: (bytes: Uint8Array) => T,
  ): Promise<T | null | undefined> {
    let stored;
    try {
      stored = await this.jsm.streams.getMessage(stream, {
        last_by_subj: subject,
      });
    } catch (err) {
      if (isStreamNotFound(err)) return undefined;
      throw err;
    }
    return stored === null ? undefined : decodeOrNull(stored.data, decode);
  }

  /**
   * The messages of `stream` on `filter` held now, oldest first, decoded; invalid ones,
   * and those `decode` maps to `null`, are skipped. With `lastPerSubject`, only the last
   * message of each subject.
   *
   * @throws {Error} When no message comes for `silence` ms (to twice that) while more are
   * pending: the stream deleted during the read, or its last message removed before it
   * came, would else keep the read waiting for ever.
   */
  async *read<T>(
    stream: string,
    filter: string,
    decode: (bytes: Uint8Array, subject: string) => T,
    { lastPerSubject = false, silence = READ_SILENCE }: ReadOptions = {},
  ): AsyncIterable<Exclude<T, null>> {
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
    let heard = true;
    const check = setInterval(() => {
      if (!heard) {
        messages.stop(
          new Error(`${stream} sent nothing for ${silence} ms during a read`),
        );
      }
      heard = false;
    }, silence);
    try {
      for await (const message of messages) {
        heard = true;
        const value = decodeOrNull(
          message.data,
          (bytes) => decode(bytes, message.subject),
        );
        if (value !== null) yield value as Exclude<T, null>;
        if (message.info.pending === 0) break;
      }
    } finally {
      clearInterval(check);
    }
  }

  /**
   * The time of the server that stamps the ticks, the job stream's leader, in epoch ms:
   * the time stamp of a stream info answer (nats-server 2.10 and later).
   *
   * @throws {UnsupportedServerError} When the server's answer carries no time stamp
   * (older than nats-server 2.10).
   */
  async serverTime(): Promise<number> {
    const info: StreamInfo & { ts?: string } = await this.jsm.streams.info(
      this.names.jobStream,
    );
    if (info.ts === undefined) {
      throw new UnsupportedServerError(
        "the server's stream info has no time stamp: nats-server 2.10 or later is needed",
      );
    }
    return parseTimestamp(info.ts);
  }
}

/**
 * `decode(bytes)`, or `null` when the bytes are not what it reads (it threw a
 * {@link ScheduleError}: data written by someone else).
 */
export function decodeOrNull<T>(
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
 * Throws when nothing was ever set in `namespace` on the server `nc` is connected to:
 * its definitions bucket does not exist (a mistyped namespace). What only reads a
 * namespace calls it first, so as to create nothing.
 *
 * @throws {NotFoundError} When the bucket does not exist.
 *
 * @example
 * ```ts ignore
 * await assertNamespaceExists(nc, "beta");
 * ```
 */
export async function assertNamespaceExists(
  nc: NatsConnection,
  namespace: string,
): Promise<void> {
  const names = new NamespaceNames(namespace);
  let bucket: StreamInfo | null;
  try {
    bucket = await bucketStreamInfo(await jetstreamManager(nc), names);
  } catch (err) {
    // Without JetStream: told by what opens the namespace next.
    if ((err as Error).name === "JetStreamNotEnabled") return;
    throw err;
  }
  if (bucket === null) {
    throw new NotFoundError(
      `no namespace ${namespace} on this server: nothing was ever set there (check the namespace configured)`,
    );
  }
}

/** The definitions bucket's stream as it is now, or `null` when it does not exist. */
function bucketStreamInfo(
  jsm: JetStreamManager,
  names: NamespaceNames,
): Promise<StreamInfo | null> {
  return streamInfo(jsm, `KV_${names.bucket}`);
}

/** Stream `name` as it is now, or `null` when it does not exist. */
async function streamInfo(
  jsm: JetStreamManager,
  name: string,
): Promise<StreamInfo | null> {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if (isStreamNotFound(err)) return null;
    throw err;
  }
}
