/**
 * Creates what a namespace needs in NATS when it is missing: the definitions bucket, the
 * job stream and the run history stream. Client, node and worker call it; existing resources are left as they are.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/nats-core";
import { nanos } from "@nats-io/nats-core";
import {
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
import { NamespaceNames } from "./names.ts";

/**
 * How the job and history streams are created when they do not exist yet.
 *
 * @example
 * ```ts
 * import type { QueueOptions } from "@x/schedule";
 * const options: QueueOptions = { maxAge: 24 * 3600_000, duplicateWindow: 120_000, replicas: 3 };
 * ```
 */
export interface QueueOptions {
  /** How long ticks are kept, in ms (default 24 h). `state.prev` is known for that long. */
  maxAge?: number;
  /** The deduplication window, in ms (default 2 min, at least 2 min). */
  duplicateWindow?: number;
  /** Stream and bucket replicas (default 1). */
  replicas?: number;
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

/** The NATS handles of one namespace. */
export interface NamespaceHandles {
  /** The namespace's names. */
  names: NamespaceNames;
  /** JetStream client. */
  js: JetStreamClient;
  /** JetStream manager. */
  jsm: JetStreamManager;
  /** The definitions bucket. */
  kv: KV;
  /** The job stream as it is on the server. */
  jobStream: StreamInfo;
  /** The run history stream as it is on the server. */
  runStream: StreamInfo;
}

/**
 * Opens a namespace, creating its bucket and job stream if they are missing.
 *
 * @throws {InvalidNamespaceError} When the namespace is not valid.
 *
 * @example
 * ```ts ignore
 * import { connect } from "@nats-io/transport-node";
 * import { openNamespace } from "./namespace.ts";
 * const nc = await connect({ servers: "127.0.0.1:4222" });
 * const { kv } = await openNamespace(nc, "beta");
 * ```
 */
export async function openNamespace(
  nc: NatsConnection,
  namespace: string,
  options: QueueOptions = {},
): Promise<NamespaceHandles> {
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
  return { names, js, jsm, kv, jobStream, runStream };
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
