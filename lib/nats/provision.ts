/**
 * Creating what a namespace needs in NATS when it is missing: the definitions bucket,
 * the job stream, the modes bucket, the run history stream, the workers' shared consumer
 * and the run state bucket; existing ones are left as they are (a warning says when
 * their replicas are not those asked for).
 *
 * @module
 */

import { nanos } from "@nats-io/nats-core";
import {
  AckPolicy,
  type ConsumerInfo,
  DeliverPolicy,
  DiscardPolicy,
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
import { NODE_DEFAULTS, WORKER_DEFAULTS } from "../defaults.ts";
import { ConfigError } from "../errors.ts";
import type { NamespaceNames } from "./names.ts";
import type { NamespaceOptions } from "./namespace.ts";

/** The default job stream duplicate window: two minutes. */
const DEFAULT_DUPLICATE_WINDOW = 120_000;
const DEFAULT_MAX_AGE = 24 * 3600_000;
const DEFAULT_HISTORY_MAX_AGE = 7 * 24 * 3600_000;
const DEFAULT_HISTORY_PER_JOB = 100;
/**
 * The writes the definitions bucket keeps per key: the most NATS KV allows. A bucket
 * created before keeps its own setting (5).
 */
export const DEFINITION_HISTORY = 64;
/** The most replicas JetStream allows. */
const MAX_REPLICAS = 5;
/** The longest time a stream option may give, in ms: what JetStream's int64 ns hold. */
const MAX_MS = 9_223_372_036_854;

/** What {@link provisionNamespace} found or made. */
export interface Provisioned {
  /** The definitions bucket. */
  kv: KV;
  /** The modes bucket. */
  modes: KV;
  /** The job stream as it is now. */
  jobStream: StreamInfo;
  /** The run history stream as it is now. */
  runStream: StreamInfo;
}

/**
 * Opens the buckets and streams of a namespace, creating those that are missing, and
 * warns (with `options.logger`, when `options.replicas` is given) of those with other
 * replicas.
 *
 * @throws {ConfigError} When an option is not valid (see
 * {@link validateNamespaceOptions}); nothing is created.
 */
export async function provisionNamespace(
  js: JetStreamClient,
  jsm: JetStreamManager,
  names: NamespaceNames,
  options: NamespaceOptions,
): Promise<Provisioned> {
  validateNamespaceOptions(options);
  const replicas = options.replicas ?? 1;
  const kv = await createBucket(js, names, replicas);
  const jobStream = await ensureStream(
    jsm,
    replicas,
    jobStreamConfig(names, options),
  );
  const modes = await new Kvm(js).create(names.modesBucket, {
    history: 1,
    storage: StorageType.File,
    replicas,
    description:
      `modes the workers of schedule namespace ${names.namespace} handle`,
  });
  const runStream = await ensureStream(
    jsm,
    replicas,
    runStreamConfig(names, options),
  );
  const provisioned = {
    kv,
    modes,
    jobStream: jobStream.info,
    runStream: runStream.info,
  };
  await warnOfReplicas(names, options, provisioned);
  return provisioned;
}

/**
 * Refuses namespace options JetStream would refuse after some streams were created, or
 * that make streams that do not work: `maxAge` and `historyMaxAge` must be whole ms from
 * 1, `duplicateWindow` whole ms from 0, `catchup` ms from 0, `ackWait` ms more than 0,
 * `historyPerJob` a whole number from 1, `replicas` one from 1 to 5, and `maxAge` at
 * least the duplicate window (a tick must be kept as long as its copies are dropped).
 *
 * @throws {ConfigError} Naming the option.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateNamespaceOptions } from "./provision.ts";
 * import { ConfigError } from "../errors.ts";
 * validateNamespaceOptions({ maxAge: 3600_000, replicas: 3 });
 * assert.throws(() => validateNamespaceOptions({ maxAge: 60_000 }), ConfigError);
 * assert.throws(() => validateNamespaceOptions({ historyPerJob: 1.5 }), ConfigError);
 * // Over the default maxAge, 24 h.
 * assert.throws(() => validateNamespaceOptions({ duplicateWindow: 48 * 3600_000 }), ConfigError);
 * ```
 */
export function validateNamespaceOptions(options: NamespaceOptions): void {
  wholeNumber("maxAge", options.maxAge, 1, MAX_MS);
  wholeNumber("duplicateWindow", options.duplicateWindow, 0, MAX_MS);
  wholeNumber("historyMaxAge", options.historyMaxAge, 1, MAX_MS);
  duration("catchup", options.catchup, false);
  duration("ackWait", options.ackWait, true);
  wholeNumber("historyPerJob", options.historyPerJob, 1, Infinity);
  wholeNumber("replicas", options.replicas, 1, MAX_REPLICAS);
  const window = duplicateWindow(options);
  const maxAge = options.maxAge ?? DEFAULT_MAX_AGE;
  if (maxAge < window) {
    throw new ConfigError(
      `namespace option maxAge (${maxAge} ms${
        options.maxAge === undefined ? ", the default" : ""
      }) must be at least the job stream's duplicate window (${window} ms)`,
    );
  }
}

/** Refuses `value`, when given, if it is not a whole number in [`min`, `max`]. */
function wholeNumber(
  option: string,
  value: unknown,
  min: number,
  max: number,
): void {
  if (value === undefined) return;
  if (
    typeof value !== "number" || !Number.isInteger(value) || value < min ||
    value > max
  ) {
    throw new ConfigError(
      `namespace option ${option} must be a whole number from ${min}${
        max === Infinity ? "" : ` to ${max}`
      }, not ${typeof value === "number" ? value : `a ${typeof value}`}`,
    );
  }
}

/** Refuses `value`, when given, if it is not a finite number of ms, 0 or more (`positive`: more). */
function duration(option: string, value: unknown, positive: boolean): void {
  if (value === undefined) return;
  if (
    typeof value !== "number" || !Number.isFinite(value) || value < 0 ||
    (positive && value === 0)
  ) {
    throw new ConfigError(
      `namespace option ${option} must be a number of ms, ${
        positive ? "more than 0" : "0 or more"
      }`,
    );
  }
}

/** The job stream's duplicate window, in ms: the one asked for, at least 2 min. */
function duplicateWindow(options: NamespaceOptions): number {
  return Math.max(
    DEFAULT_DUPLICATE_WINDOW,
    options.duplicateWindow ?? DEFAULT_DUPLICATE_WINDOW,
  );
}

/** Warns of the buckets and streams whose replicas are not those asked for. */
async function warnOfReplicas(
  names: NamespaceNames,
  { replicas, logger }: NamespaceOptions,
  { kv, modes, jobStream, runStream }: Provisioned,
): Promise<void> {
  if (replicas === undefined || logger === undefined) return;
  const found: [string, number][] = [
    [`KV_${names.bucket}`, (await kv.status()).replicas],
    [`KV_${names.modesBucket}`, (await modes.status()).replicas],
    [names.jobStream, jobStream.config.num_replicas],
    [names.runStream, runStream.config.num_replicas],
  ];
  for (const [stream, existing] of found) {
    if (existing === replicas) continue;
    logger.warn(
      "existing stream has other replicas; left as it is",
      {
        stream,
        replicas: existing,
        configured: replicas,
      },
    );
  }
}

/**
 * The workers' shared consumer, created when missing: durable, explicit ack, starting
 * with the ticks stored in the last `catchup` (all of a new stream's). An existing one
 * gets the `ackWait` asked for, if any.
 */
export async function ensureWorkerConsumer(
  jsm: JetStreamManager,
  names: NamespaceNames,
  options: NamespaceOptions,
): Promise<{ consumer: ConsumerInfo; created: boolean }> {
  const { ackWait, catchup = NODE_DEFAULTS.catchup } = options;
  const existing = await workerConsumer(jsm, names);
  if (existing) {
    const wanted = ackWait === undefined ? undefined : nanos(ackWait);
    if (wanted === undefined || existing.config.ack_wait === wanted) {
      return { consumer: existing, created: false };
    }
    const consumer = await jsm.consumers.update(
      names.jobStream,
      names.workerConsumer,
      { ack_wait: wanted },
    );
    return { consumer, created: false };
  }
  try {
    const consumer = await jsm.consumers.add(names.jobStream, {
      durable_name: names.workerConsumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: new Date(Date.now() - catchup).toISOString(),
      filter_subject: names.jobSubjects,
      ack_wait: nanos(ackWait ?? WORKER_DEFAULTS.ackWait),
      max_ack_pending: 10_000,
    });
    return { consumer, created: true };
  } catch (err) {
    // Another process created it meanwhile, with another start time.
    const consumer = await workerConsumer(jsm, names);
    if (consumer) return { consumer, created: false };
    throw err;
  }
}

/** The workers' consumer, or `null` when it does not exist. */
async function workerConsumer(
  jsm: JetStreamManager,
  names: NamespaceNames,
): Promise<ConsumerInfo | null> {
  try {
    return await jsm.consumers.info(
      names.jobStream,
      names.workerConsumer,
    );
  } catch (err) {
    if (
      err instanceof JetStreamApiError &&
      err.code === JetStreamApiCodes.ConsumerNotFound
    ) return null;
    throw err;
  }
}

/** The job stream's configuration. */
export function jobStreamConfig(
  names: NamespaceNames,
  options: NamespaceOptions,
): Partial<StreamConfig> & { name: string } {
  return {
    name: names.jobStream,
    description: `schedule job queue of namespace ${names.namespace}`,
    subjects: [names.jobSubjects],
    max_age: nanos(options.maxAge ?? DEFAULT_MAX_AGE),
    duplicate_window: nanos(duplicateWindow(options)),
  };
}

/** The run history stream's configuration. */
export function runStreamConfig(
  names: NamespaceNames,
  options: NamespaceOptions,
): Partial<StreamConfig> & { name: string } {
  return {
    name: names.runStream,
    description: `schedule run history of namespace ${names.namespace}`,
    subjects: [names.runSubjects],
    max_age: nanos(options.historyMaxAge ?? DEFAULT_HISTORY_MAX_AGE),
    max_msgs_per_subject: options.historyPerJob ?? DEFAULT_HISTORY_PER_JOB,
  };
}

/** Opens the definitions bucket, creating it when it is missing. */
export function createBucket(
  js: JetStreamClient,
  names: NamespaceNames,
  replicas: number,
): Promise<KV> {
  return new Kvm(js).create(names.bucket, {
    history: DEFINITION_HISTORY,
    storage: StorageType.File,
    replicas,
    description: `schedule definitions of namespace ${names.namespace}`,
  });
}

/** True when `err` says the stream does not exist. */
export function isStreamNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError &&
    err.code === JetStreamApiCodes.StreamNotFound;
}

/**
 * Returns the stream as it is, or creates it: file storage, limits retention, oldest
 * messages dropped first, direct gets allowed, plus `config`.
 */
export async function ensureStream(
  jsm: JetStreamManager,
  replicas: number,
  config: Partial<StreamConfig> & { name: string },
): Promise<{ info: StreamInfo; created: boolean }> {
  try {
    return { info: await jsm.streams.info(config.name), created: false };
  } catch (err) {
    if (!isStreamNotFound(err)) throw err;
  }
  const info = await jsm.streams.add({
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    num_replicas: replicas,
    allow_direct: true,
    ...config,
  });
  return { info, created: true };
}
