/**
 * Reading the last entry of every key of a KV bucket in one pass, as a node loads its
 * definitions, and following it from there: an ephemeral pull consumer of the bucket's
 * last messages (or of every revision from one), read through one inbox, each message
 * handed on as it is parsed.
 *
 * nats.js's KV watch makes five objects of each message (the message, the JetStream
 * message, its delivery info, the entry, its `Date`), parses the reply subject into eleven
 * strings and queues each entry for an async iterator: at a million keys, 5.1–5.7 s of a
 * node's CPU on machine B, against 2.5 s read this way. The node and the console read the
 * bucket this way, then follow it from the next revision ({@link followBucket}); the KV
 * watch, which they followed it with before, noticed its consumer lost only after about
 * a minute.
 *
 * @module
 */

import {
  createInbox,
  type Msg,
  nanos,
  type NatsConnection,
  nuid,
} from "@nats-io/nats-core";
import { backoff, onAbort, wait } from "../_util.ts";
import { deliveryOf } from "./_util.ts";
import { isStreamNotFound } from "./provision.ts";
import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
} from "@nats-io/jetstream";

/** What a KV entry does: a value put, or the key deleted or purged. */
export type BucketOperation = "PUT" | "DEL" | "PURGE";

/** One stored entry of a KV bucket. */
export interface BucketEntry {
  readonly key: string;
  /** Its revision: the stream sequence of its message. */
  readonly revision: number;
  /** When the server stored it, in epoch ms. */
  readonly created: number;
  readonly value: Uint8Array;
  readonly operation: BucketOperation;
}

/**
 * Follows a bucket from revision `from` (as after {@link readBucket}, from the revision
 * after the last it read), calling `each` for every entry in revision order, until
 * `signal` is aborted. It reads as {@link readBucket} does, through a pull consumer of
 * every revision from `from`, always asking for more. A consumer lost (deleted, its
 * server restarted, no answer) is created again from the revision after the last
 * entry, within `idle` ms: nats.js's KV watch noticed such a loss only after about a
 * minute. Any other failure is retried the same way, 100 ms doubling to 5 s while
 * nothing arrives, and told to `options.retrying`. Resolves at the abort; rejects when
 * the stream is gone or `each` threw.
 */
export async function followBucket(
  client: BucketReadClient,
  options: FollowOptions,
  from: number,
  each: (entry: BucketEntry) => void,
): Promise<void> {
  const { signal, retrying } = options;
  let next = from;
  let thrown: unknown;
  const apply = (entry: BucketEntry) => {
    try {
      each(entry);
    } catch (err) {
      thrown = err;
      throw err;
    }
    next = entry.revision + 1;
  };
  for (let lost = 0; !signal?.aborted;) {
    const at = next;
    try {
      await pullBucket(
        client,
        { ...options, from: next, follow: true },
        apply,
      );
    } catch (err) {
      if (signal?.aborted) return;
      if (err === thrown || isStreamNotFound(err)) throw err;
      lost = next > at ? 1 : lost + 1;
      const delay = backoff(lost, 100, 5_000);
      if (!(err instanceof ConsumerLostError)) {
        retrying?.(err as Error, delay);
      }
      await wait(delay, signal);
    }
  }
}

/** Where {@link readBucket} reads. */
export interface BucketReadOptions {
  /** The bucket's stream (`KV_<bucket>`). */
  stream: string;
  /** The subject prefix of its keys (`$KV.<bucket>.`). */
  prefix: string;
  /**
   * Messages asked for at once; up to twice as many are asked for ahead.
   * @default {10000}
   */
  batch?: number;
  /**
   * How long the read may hear nothing before it asks again, in ms; after six times as
   * long it fails. Also how long the server keeps the consumer once the read ends.
   * @default {5000}
   */
  idle?: number;
  /** Ends the read: it rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Where {@link followBucket} reads, and who is told of its retries. */
export interface FollowOptions extends BucketReadOptions {
  /**
   * Told of a failure the follow retries (one other than a consumer lost), with the wait
   * in ms before it tries again: for a log line.
   */
  retrying?: (error: Error, delay: number) => void;
}

/** What {@link readBucket} uses of a connection: the client, its JetStream API. */
export interface BucketReadClient {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/**
 * Reads the last entry of every key of a bucket, calling `each` for each in revision
 * order, and entries stored meanwhile too, until none is pending; returns the revision of
 * the last one read (0 when the bucket holds none). Continue from the revision after it
 * ({@link followBucket}) to miss nothing.
 *
 * @throws {Error} When the consumer is deleted, a message is lost (a consumer sequence is
 * skipped), the server answers nothing for six `idle` periods, or `each` throws (its
 * error).
 *
 * @example
 * ```ts ignore
 * const last = await readBucket(namespace, { stream, prefix }, (entry) => apply(entry));
 * await followBucket(namespace, { stream, prefix, signal }, last + 1, apply);
 * ```
 */
export function readBucket(
  client: BucketReadClient,
  options: BucketReadOptions,
  each: (entry: BucketEntry) => void,
): Promise<number> {
  return pullBucket(client, options, each);
}

/** The consumer of a read is gone, or its server answers nothing. */
class ConsumerLostError extends Error {}

/**
 * The read of {@link readBucket}: from the last entry of each key, or with `from` every
 * revision from it; with `follow`, on and on (it ends by `signal` or a failure only).
 */
async function pullBucket(
  client: BucketReadClient,
  options: BucketReadOptions & { from?: number; follow?: boolean },
  each: (entry: BucketEntry) => void,
): Promise<number> {
  const { nc, js, jsm } = client;
  const { stream, prefix, batch = 10_000, idle = 5_000, signal } = options;
  const { from, follow = false } = options;
  signal?.throwIfAborted();
  // Named, as the KV watch names its consumer: the request's subject then holds the
  // stream, the name and the filter, as the roles' permissions expect.
  const { name, num_pending } = await jsm.consumers.add(stream, {
    name: `KV_READ_${nuid.next()}`,
    ...(from === undefined
      ? { deliver_policy: DeliverPolicy.LastPerSubject }
      : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from }),
    ack_policy: AckPolicy.None,
    filter_subject: `${prefix}>`,
    inactive_threshold: nanos(idle),
    mem_storage: true,
    num_replicas: 1,
  });
  if (num_pending === 0 && !follow) return 0;
  const next = `${js.apiPrefix}.CONSUMER.MSG.NEXT.${stream}.${name}`;
  // A follow's pulls expire twice per check, so that a quiet bucket is never a silence.
  const expires = nanos(follow ? idle / 2 : idle);
  const request = JSON.stringify({ batch, expires });
  const inbox = createInbox();
  const { promise, resolve, reject } = Promise.withResolvers<number>();
  let outstanding = 0;
  let delivered = 0;
  let last = 0;
  let heard = true;
  let silences = 0;
  const pull = () => {
    while (outstanding <= batch) {
      nc.publish(next, request, { reply: inbox });
      outstanding += batch;
    }
  };
  const sub = nc.subscribe(inbox, {
    callback: (err, msg) => {
      heard = true;
      try {
        if (err) throw err;
        const reply = msg.reply;
        if (!reply) {
          outstanding -= ended(msg);
          pull();
          return;
        }
        const info = deliveryOf(reply);
        if (info.consumerSeq !== ++delivered) {
          throw new Error(
            `message ${delivered} of the read was lost (got ${info.consumerSeq})`,
          );
        }
        last = info.streamSeq;
        const value = msg.data;
        each({
          key: msg.subject.substring(prefix.length),
          revision: last,
          created: info.created,
          value,
          operation: value.length > 0 ? "PUT" : operationOf(msg),
        });
        if (info.pending === 0 && !follow) return resolve(last);
        outstanding--;
        pull();
      } catch (error) {
        reject(error);
      }
    },
  });
  // Pulls lost with a reconnection are asked for again; a message lost is a gap above.
  const check = setInterval(() => {
    if (heard) silences = 0;
    else if (++silences === 6) {
      reject(
        new ConsumerLostError(`the server sent nothing for ${6 * idle} ms`),
      );
    } else {
      outstanding = 0;
      pull();
    }
    heard = false;
  }, idle);
  const stopListening = onAbort(signal, () => reject(signal!.reason));
  try {
    pull();
    return await promise;
  } finally {
    clearInterval(check);
    stopListening();
    sub.unsubscribe();
  }
}

/**
 * How many of its batch a pull's status message (no reply subject) ends: a request that
 * expired (408) or found nothing (404); a heartbeat (100) ends none.
 *
 * @throws {ConsumerLostError} On 409 (the consumer was deleted) or 503 (it is gone).
 * @throws {Error} On any other status: the server refused.
 */
function ended(msg: Msg): number {
  const headers = msg.headers;
  const code = headers?.code ?? 0;
  if (code === 100) return 0;
  if (code === 404 || code === 408) {
    return Number(headers!.get("Nats-Pending-Messages") || 0);
  }
  const why = code === 503
    ? "no responders (the consumer is gone)"
    : headers?.description || "(no status)";
  const message = `the read ended: ${code} ${why}`;
  throw code === 503 || code === 409
    ? new ConsumerLostError(message)
    : new Error(message);
}

/**
 * What an entry with no value does, by its headers, as nats.js reads it: a purge when the
 * server removed it for its age, else its `KV-Operation`.
 */
function operationOf(msg: Msg): BucketOperation {
  const headers = msg.headers;
  if (headers?.get("Nats-Marker-Reason") === "MaxAge") return "PURGE";
  return (headers?.get("KV-Operation") || "PUT") as BucketOperation;
}
