/**
 * The types of the node: its options and counters, and a job as it waits in the timer
 * queue.
 *
 * @module
 */

import type { EncodedMessage } from "../nats/stream_sender.ts";
import type { NamespaceOptions } from "../nats/namespace.ts";
import type { Logger } from "../ops/log.ts";
import type { Spec } from "../spec/spec.ts";
import type { JobRule } from "./rule.ts";
import type { Queued } from "./timer_queue.ts";

/**
 * Options of {@link Node.start}.
 *
 * @example
 * ```ts
 * import type { NodeOptions } from "@x/schedule/node";
 * const options: NodeOptions = { namespace: "beta", catchup: 60_000 };
 * ```
 */
export interface NodeOptions {
  /** The namespace whose schedules this node fires. */
  namespace: string;
  /** The node's name in its events (default: `$HOSTNAME`, else `node-` and 8 random hex digits). */
  name?: string;
  /**
   * How late a tick may still be published, in ms (default 60 s), for jobs whose policy sets
   * no `catchupWindow`. Older ticks are skipped, logged and counted. Never more than the job
   * stream's duplicate window.
   */
  catchup?: number;
  /**
   * How much later than their owner a node, as their backup, sends the ticks its owner's
   * report does not show stored, in ms (default 500; at most half of `catchup`).
   */
  standbyDelay?: number;
  /**
   * The largest offset of the node's own clock to the NATS server's, in ms (default 1 s).
   * Beyond it the node stands by for every job: the other nodes keep the schedule.
   */
  maxClockOffset?: number;
  /**
   * How long one publish waits for its acknowledgement, in ms (default 5 s); queued
   * behind publishes the stream keeps storing, up to ten times as long.
   */
  publishTimeout?: number;
  /** How the job stream is created if it is missing. */
  queue?: NamespaceOptions;
  /** Where events are logged (default: JSON lines on standard error). */
  logger?: Logger;
  /** Called with the lag (ack time minus scheduled time, ms) of each tick this node stored. */
  onStored?: (lagMs: number) => void;
}

/**
 * Counters of a node since it started.
 *
 * @example
 * ```ts
 * import type { NodeMetrics } from "@x/schedule/node";
 * const lost = (m: NodeMetrics) => m.missed;
 * ```
 */
export interface NodeMetrics {
  /** Keys with at least one job firing. */
  definitions: number;
  /** Jobs firing. */
  jobs: number;
  /** Ticks this node stored in the queue first. */
  published: number;
  /** Ticks another node had already stored (a normal outcome with several nodes). */
  duplicates: number;
  /** Ticks this node, their backup, found stored by their owner and did not send. */
  covered: number;
  /** Ticks not published within `catchup` and absent from the job stream. */
  missed: number;
  /**
   * Late ticks a job's catch-up policy (`latest`, `none`) did not send and absent from the
   * job stream.
   */
  skipped: number;
  /**
   * Failed publish attempts (each retried until the tick is older than `catchup`); ticks
   * held while disconnected are not attempts.
   */
  publishErrors: number;
  /** Stored definitions that were not valid and are not fired. */
  rejected: number;
  /** Times the definitions bucket was found deleted, recreated or purged, and reloaded. */
  bucketReloads: number;
  /** Times the job stream was found missing by a publish, and created again. */
  streamRestores: number;
}

/**
 * One tick of a job, encoded ahead of its send time (see `Sender.prepare`): the whole
 * message, its `Nats-Msg-Id` and reply subject included.
 */
export interface PreparedTick extends EncodedMessage {
  /** Its scheduled time, in epoch ms. */
  readonly at: number;
  /** When it is sent: `at` plus the job's jitter. */
  readonly firesAt: number;
}

/** One job of one key, queued at its next tick. */
export interface Scheduled extends Queued {
  readonly key: string;
  readonly index: number;
  readonly spec: Spec;
  /** The definition's anchor, in epoch ms. */
  readonly anchor: number;
  /** The subject of this job's ticks. */
  readonly subject: string;
  /** The JSON of one tick of this job; `firesAt` for a job with jitter. */
  readonly tick: (scheduledAt: Date, firesAt?: Date) => string;
  /** How the job's ticks are governed. */
  readonly rule: JobRule;
  /** The bucket revision of the definition this job was loaded from. */
  readonly bucketRevision: number;
  /** The number of the tick at `due` among its definition's (counted with `maxRuns`). */
  run: number;
  /** Its next tick, when encoded ahead. */
  prepared?: PreparedTick;
}
