/**
 * JetStream publishing with acknowledgements, for the hot paths of the node (ticks) and
 * the worker (run records).
 *
 * `jetstream().publish()` makes a full request per message (its own timer and bookkeeping),
 * which measured 15 to 35 µs of event-loop time per tick; firing 1,000 ticks at once then
 * delays the last one by tens of milliseconds. This sends each message with
 * `nc.publish` and a reply subject under one inbox subscription, and expires
 * unacknowledged messages with one sweep timer: about 3 µs per tick.
 *
 * It follows the connection: while it is down, a publish fails at once with a
 * {@link DisconnectedError} (rather than waiting out its timeout in the client's reconnect
 * buffer), the publishes waiting when it went down fail the same way, and listeners hear
 * when it is back.
 *
 * @module
 */

import {
  createInbox,
  Empty,
  headers,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type PublishOptions,
  type Status,
} from "@nats-io/nats-core";

/** The acknowledgement of one published message. */
export interface Ack {
  /** The stream sequence the message was stored at (or first stored at, for a duplicate). */
  seq: number;
  /** True when the stream already held a message with this `Nats-Msg-Id`. */
  duplicate: boolean;
}

/** The connection to NATS is down: nothing was sent, or its acknowledgement is lost. */
export class DisconnectedError extends Error {
  constructor() {
    super("disconnected from NATS");
    this.name = "DisconnectedError";
  }
}

/**
 * The headers of a message whose `Nats-Msg-Id` is `msgId`, encoded once: built ahead of a
 * publish, they take that work off it (the client encodes headers on each publish).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { msgIdHeaders } from "./stream_sender.ts";
 * assert.equal(msgIdHeaders("beta.k.0.1000").get("Nats-Msg-Id"), "beta.k.0.1000");
 * ```
 */
export function msgIdHeaders(msgId: string): MsgHdrs {
  // The client's headers class (not its interface) has `encode`, called by `publish`.
  const hdrs = headers() as MsgHdrs & { encode(): Uint8Array };
  hdrs.set("Nats-Msg-Id", msgId);
  const encoded = hdrs.encode();
  hdrs.encode = () => encoded;
  return hdrs;
}

/**
 * Hears how one call ended: its result, or why it failed. {@link StreamSender.send} takes
 * one object per publish, where a promise would cost a promise, its resolvers and the
 * reactions of each `then`: the garbage of a herd of ticks.
 */
export interface Outcome<T> {
  /** The reply, read: for a publish, the stream's ack. */
  answered(result: T): void;
  /** The call failed: see {@link StreamSender.publish} for the errors. */
  failed(err: Error): void;
}

/** A call waiting for its reply: `read` makes its result of the reply, or throws. */
interface Waiting {
  read: (msg: Msg) => unknown;
  outcome: Outcome<unknown>;
  deadline: number;
}

/** An outcome that settles a promise. */
function promised<T>(): { outcome: Outcome<T>; promise: Promise<T> } {
  const { promise, resolve, reject } = Promise.withResolvers<T>();
  return { outcome: { answered: resolve, failed: reject }, promise };
}

/**
 * Publishes to one JetStream stream and resolves each publish with the stream's ack; reads
 * the last message of a subject of it the same way (a direct get).
 *
 * @example
 * ```ts ignore
 * const sender = new StreamSender(nc, "schedule-beta-jobs", 5000);
 * const ack = await sender.publish("schedule.beta.jobs.test.0", payload, "beta.test.0.1700000000000");
 * sender.close();
 * ```
 */
export class StreamSender {
  readonly #nc: NatsConnection;
  readonly #stream: string;
  readonly #timeout: number;
  readonly #inbox = createInbox();
  /** The inbox and a dot: a call's reply subject is this and the call's number. */
  readonly #replyPrefix = `${this.#inbox}.`;
  /** By call number: a small integer hashes at once, where a string key is hashed anew. */
  readonly #waiting = new Map<number, Waiting>();
  readonly #subscription;
  readonly #reconnected: (() => void)[] = [];
  #next = 0;
  #connected = true;
  #closed = false;
  #sweep: ReturnType<typeof setInterval> | undefined;

  constructor(nc: NatsConnection, stream: string, timeout: number) {
    this.#nc = nc;
    this.#stream = stream;
    this.#timeout = timeout;
    this.#subscription = nc.subscribe(`${this.#inbox}.*`, {
      callback: (err, msg) => err ? this.#failAll(err) : this.#settle(msg),
    });
    this.#follow(nc.status());
  }

  /** False from a disconnection until the client is connected again. */
  get connected(): boolean {
    return this.#connected;
  }

  /** Calls `listener` each time the connection is back, after {@link connected} turns true. */
  onReconnect(listener: () => void): void {
    this.#reconnected.push(listener);
  }

  /**
   * Publishes `payload` to `subject` (with `msgId` as its `Nats-Msg-Id` when given, for the
   * stream to drop a duplicate), expecting the stream this sender was made for.
   *
   * @throws {DisconnectedError} When the connection is down, or goes down before the ack.
   * @throws {Error} When the stream answers with an error, nothing answers in time, or
   * the sender is closed.
   */
  publish(subject: string, payload: Uint8Array, msgId?: string): Promise<Ack> {
    const { outcome, promise } = promised<Ack>();
    const hdrs = msgId === undefined ? undefined : msgIdHeaders(msgId);
    this.send(subject, payload, hdrs, outcome);
    return promise;
  }

  /**
   * {@link publish} with its headers built (see {@link msgIdHeaders}), telling `outcome`
   * instead of settling a promise: the node's hot path. A failure before anything is
   * sent is told in a microtask, never from within this call.
   */
  send(
    subject: string,
    payload: Uint8Array,
    hdrs: MsgHdrs | undefined,
    outcome: Outcome<Ack>,
  ): void {
    this.#request(subject, payload, { headers: hdrs }, this.#readAck, outcome);
  }

  /**
   * The stream's last message on `subject`, `null` when it holds none: a direct get
   * (which the stream must allow), answered through the same inbox.
   *
   * @throws {DisconnectedError} When the connection is down, or goes down before the answer.
   * @throws {Error} When the stream answers with an error, nothing answers in time, or
   * the sender is closed.
   */
  last(subject: string): Promise<Msg | null> {
    const { outcome, promise } = promised<Msg | null>();
    this.#request(
      `$JS.API.DIRECT.GET.${this.#stream}.${subject}`,
      Empty,
      {},
      this.#readStored,
      outcome,
    );
    return promise;
  }

  /** Stops listening for acks; publishes still waiting fail. */
  close(): void {
    this.#closed = true;
    this.#subscription.unsubscribe();
    this.#failAll(new Error("the sender is closed"));
  }

  async #follow(statuses: AsyncIterable<Status>): Promise<void> {
    for await (const status of statuses) {
      if (this.#closed) break;
      if (status.type === "disconnect") {
        this.#connected = false;
        this.#failAll(new DisconnectedError());
      } else if (status.type === "reconnect") {
        this.#connected = true;
        for (const listener of this.#reconnected) listener();
      }
    }
  }

  /** Sends `payload` to `subject` with a reply subject of the inbox; `read` reads the reply. */
  #request<T>(
    subject: string,
    payload: Uint8Array,
    options: PublishOptions,
    read: (msg: Msg) => T,
    outcome: Outcome<T>,
  ): void {
    if (this.#closed) {
      return failSoon(outcome, new Error("the sender is closed"));
    }
    if (!this.#connected) return failSoon(outcome, new DisconnectedError());
    const id = this.#next++;
    options.reply = this.#replyPrefix + id;
    try {
      this.#nc.publish(subject, payload, options);
    } catch (err) {
      return failSoon(outcome, err as Error);
    }
    this.#waiting.set(id, {
      read,
      outcome: outcome as Outcome<unknown>,
      deadline: Date.now() + this.#timeout,
    });
    this.#sweep ??= setInterval(
      () => this.#expire(),
      Math.min(250, this.#timeout),
    );
  }

  #settle(msg: Msg): void {
    const id = Number(msg.subject.slice(this.#replyPrefix.length));
    const waiting = this.#waiting.get(id);
    if (!waiting) return;
    this.#forget(id);
    let result;
    try {
      result = waiting.read(msg);
    } catch (err) {
      return waiting.outcome.failed(err as Error);
    }
    waiting.outcome.answered(result);
  }

  /** The ack of a publish. */
  readonly #readAck = (msg: Msg): Ack => {
    this.#checkAnswered(msg);
    let answer: {
      seq?: number;
      duplicate?: boolean;
      error?: { description: string };
    };
    try {
      answer = msg.json();
    } catch {
      throw new Error("the stream's acknowledgement is not JSON");
    }
    if (answer.error) throw new Error(answer.error.description);
    return { seq: answer.seq ?? 0, duplicate: answer.duplicate === true };
  };

  /** The message a direct get found, `null` when there is none. */
  readonly #readStored = (msg: Msg): Msg | null => {
    this.#checkAnswered(msg);
    const code = msg.headers?.code ?? 0;
    if (code === 404) return null;
    if (code !== 0) {
      throw new Error(msg.headers?.description || `direct get: status ${code}`);
    }
    return msg;
  };

  /** Throws when no stream answered (no responders). */
  #checkAnswered(msg: Msg): void {
    if (msg.headers?.code === 503) {
      throw new Error(`no JetStream stream answers on ${this.#stream}`);
    }
  }

  #expire(): void {
    const now = Date.now();
    for (const [id, waiting] of this.#waiting) {
      // In the order sent, so in the order of their deadlines.
      if (waiting.deadline > now) break;
      this.#forget(id);
      waiting.outcome.failed(
        new Error(`no acknowledgement within ${this.#timeout} ms`),
      );
    }
  }

  #failAll(err: Error): void {
    for (const [id, waiting] of this.#waiting) {
      this.#forget(id);
      waiting.outcome.failed(err);
    }
  }

  #forget(id: number): void {
    this.#waiting.delete(id);
    if (this.#waiting.size === 0) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
    }
  }
}

/** Tells `outcome` of `err` in a microtask: a caller never hears it from within its call. */
function failSoon(outcome: Outcome<unknown>, err: Error): void {
  queueMicrotask(() => outcome.failed(err));
}
