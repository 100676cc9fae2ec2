/**
 * JetStream publishing with acknowledgements, for the hot paths of the node (ticks) and
 * the worker (run records).
 *
 * `jetstream().publish()` makes a full request per message (its own timer and bookkeeping),
 * which measured 15 to 35 µs of event-loop time per tick; firing 1,000 ticks at once then
 * delays the last one by tens of milliseconds. This sends each message with a reply
 * subject under one inbox subscription, and expires unacknowledged messages with one
 * sweep timer. A message is encoded whole ahead of its publish ({@link StreamSender.encode}):
 * its protocol line, headers and payload in one buffer, which the publish copies into the
 * connection's. `nc.publish` builds and encodes the protocol line and the headers on each
 * call (about 5 µs a tick, a third of a node's work per tick at the top of a second); the
 * client has no public call for bytes already encoded, so this one goes through the
 * client's protocol handler (see {@link StreamSender}).
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
  type Msg,
  type NatsConnection,
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
 * A publish had no acknowledgement within its timeout: the stream may have stored it, or
 * store it yet (a stream without quorum commits it once it has it back).
 */
export class NoAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NoAnswerError";
  }
}

/** No JetStream stream answered on the subject (no responders): the stream is missing. */
export class NoStreamError extends Error {
  constructor(stream: string) {
    super(`no JetStream stream answers on ${stream}`);
    this.name = "NoStreamError";
  }
}

/**
 * A message encoded whole by {@link StreamSender.encode}, under a call number of its own:
 * sent once, by {@link StreamSender.send}.
 */
export interface EncodedMessage {
  /** The call number its reply subject ends with. */
  readonly call: number;
  /** The protocol line, the headers, the payload and the closing CRLF. */
  readonly bytes: Uint8Array;
  /** The size of its headers and payload, which the server's `max_payload` bounds. */
  readonly size: number;
}

/** The client's protocol handler, which nats.js keeps on the connection unexported. */
interface Protocol {
  /** Queues bytes for the socket, flushed in a microtask or once 32 KiB are queued. */
  sendCommand(bytes: Uint8Array): void;
}

/** The nats.js client has no protocol handler to write encoded messages to. */
export class UnsupportedClientError extends Error {
  constructor() {
    super(
      "the NATS client has no protocol handler to send encoded messages through; this version of @nats-io/nats-core is not supported",
    );
    this.name = "UnsupportedClientError";
  }
}

/** The protocol handler of `nc`, checked to have the one method used. */
function protocolOf(nc: NatsConnection): Protocol {
  const protocol = (nc as { protocol?: Partial<Protocol> }).protocol;
  if (typeof protocol?.sendCommand !== "function") {
    throw new UnsupportedClientError();
  }
  return protocol as Protocol;
}

const encoder = new TextEncoder();
const CRLF = new Uint8Array([13, 10]);
const VALID_SUBJECT = /^\S+$/;
const LINE_BREAK = /[\r\n]/;

/**
 * Where a message's protocol line, headers and (text) payload are encoded before they are
 * copied into its bytes: one buffer, grown when a message does not fit. Encoding each into
 * an array of its own made buffers outside the heap per tick, for the garbage collector.
 */
let scratch = new Uint8Array(1024);

/** Encodes `text` into {@link scratch} at `at`, growing it to fit; its length in bytes. */
function encodeAt(text: string, at: number): number {
  for (;;) {
    const { read, written } = encoder.encodeInto(text, scratch.subarray(at));
    if (read === text.length) return written;
    const grown = new Uint8Array(2 * scratch.length);
    grown.set(scratch.subarray(0, at));
    scratch = grown;
  }
}

/**
 * The size of the buffers messages' bytes are cut from, in bytes: a buffer outside the
 * heap per slab rather than per message (a node encodes thousands a second, and each such
 * buffer is tracked and freed by the garbage collector one by one). A slab lives as long as
 * its last message: the node prepares a tick at most ten seconds before it sends it, and
 * drops one it does not send when its job moves on to its next tick.
 */
const SLAB = 64 * 1024;
let slab = new Uint8Array(SLAB);
let slabUsed = 0;

/** `length` bytes for one message: cut from the current slab, or (a large one) its own. */
function cut(length: number): Uint8Array {
  if (length > SLAB / 8) return new Uint8Array(length);
  if (slabUsed + length > SLAB) {
    slab = new Uint8Array(SLAB);
    slabUsed = 0;
  }
  return slab.subarray(slabUsed, slabUsed += length);
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

/**
 * How many timeouts a publish may wait, at the most, while the stream stores the ones sent
 * before it: a server that stores one connection's publishes in order and has a long queue
 * of them answers the last one late, not never.
 */
export const QUEUED_TIMEOUTS = 10;

/** A call waiting for its reply: `read` makes its result of the reply, or throws. */
interface Waiting {
  read: (msg: Msg) => unknown;
  outcome: Outcome<unknown>;
  /** When it was sent, plus the timeout. */
  deadline: number;
  /** Its place in the order sent: a message encoded ahead is numbered when encoded. */
  sent: number;
  /** A publish: it waits longer while the stream stores those sent before it. */
  queued: boolean;
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
 * It writes encoded messages through the client's protocol handler, which nats.js keeps on
 * the connection without exporting it: the version is pinned, and the tests publish through
 * it against a real server.
 *
 * @throws {UnsupportedClientError} When the client has no protocol handler to write to.
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
  readonly #protocol: Protocol;
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
  /** Whether a publish was stored since the last sweep, and the sweep's time then. */
  #acked = false;
  #ackedAt = -Infinity;
  /** How many calls were sent. */
  #sent = 0;
  /** The place in the order sent of the last publish sent of those stored. */
  #ackedSent = -1;

  constructor(nc: NatsConnection, stream: string, timeout: number) {
    this.#nc = nc;
    this.#protocol = protocolOf(nc);
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
   * @throws {Error} When the stream answers with an error, nothing answers in time, the
   * message is larger than the server takes, or the sender is closed.
   */
  publish(subject: string, payload: Uint8Array, msgId?: string): Promise<Ack> {
    const { outcome, promise } = promised<Ack>();
    this.send(this.encode(subject, payload, msgId), outcome);
    return promise;
  }

  /**
   * Encodes the publish of `payload` to `subject` (with `msgId` as its `Nats-Msg-Id` when
   * given) whole, for {@link send}: built ahead of a publish, it takes all the encoding off
   * it. A text payload is encoded as UTF-8 straight into the message. A subject that is
   * empty or holds whitespace, or an id with a line break, would break the protocol: such
   * a message is encoded empty, and its send fails.
   */
  encode(
    subject: string,
    payload: Uint8Array | string,
    msgId?: string,
  ): EncodedMessage {
    const call = this.#next++;
    if (!VALID_SUBJECT.test(subject) || (msgId && LINE_BREAK.test(msgId))) {
      return { call, bytes: Empty, size: 0 };
    }
    const reply = this.#replyPrefix + call;
    // The headers and a text payload first, as the line gives their length: then the line.
    const headers = msgId === undefined
      ? 0
      : encodeAt(`NATS/1.0\r\nNats-Msg-Id: ${msgId}\r\n\r\n`, 0);
    const text = typeof payload === "string";
    const size = headers +
      (text ? encodeAt(payload, headers) : payload.length);
    // What scratch holds before the line: the headers, and a text payload.
    const encoded = text ? size : headers;
    const line = encodeAt(
      msgId === undefined
        ? `PUB ${subject} ${reply} ${size}\r\n`
        : `HPUB ${subject} ${reply} ${headers} ${size}\r\n`,
      encoded,
    );
    const bytes = cut(line + size + CRLF.length);
    bytes.set(scratch.subarray(encoded, encoded + line));
    bytes.set(scratch.subarray(0, encoded), line);
    if (!text) bytes.set(payload, line + headers);
    bytes.set(CRLF, bytes.length - CRLF.length);
    return { call, bytes, size };
  }

  /**
   * Sends a message of {@link encode} (once: its reply is matched by its call number),
   * telling `outcome` instead of settling a promise: the node's hot path. A failure before
   * anything is sent is told in a microtask, never from within this call.
   */
  send(message: EncodedMessage, outcome: Outcome<Ack>): void {
    this.#request(message, this.#readAck, outcome);
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
      this.encode(`$JS.API.DIRECT.GET.${this.#stream}.${subject}`, Empty),
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

  /**
   * Sends `message` and waits for its reply, which `read` reads, until the timeout (for a
   * publish, see {@link #expire}); or tells `outcome` soon why it cannot be sent.
   */
  #request<T>(
    message: EncodedMessage,
    read: (msg: Msg) => T,
    outcome: Outcome<T>,
  ): void {
    const refused = this.#refusal() ?? invalid(message, this.#nc.info);
    if (refused) return failSoon(outcome, refused);
    this.#protocol.sendCommand(message.bytes);
    this.#waiting.set(message.call, {
      read,
      outcome: outcome as Outcome<unknown>,
      deadline: performance.now() + this.#timeout,
      sent: this.#sent++,
      queued: read === this.#readAck,
    });
    this.#sweep ??= setInterval(
      () => this.#expire(),
      Math.min(250, this.#timeout),
    );
  }

  /** Why nothing can be sent now (closed or disconnected), or `undefined`. */
  #refusal(): Error | undefined {
    if (this.#closed) return new Error("the sender is closed");
    if (this.#nc.isClosed()) return new Error("the connection is closed");
    if (!this.#connected) return new DisconnectedError();
    return undefined;
  }

  #settle(msg: Msg): void {
    const id = Number(msg.subject.slice(this.#replyPrefix.length));
    const waiting = this.#waiting.get(id);
    if (!waiting) return;
    let result;
    let error: Error | undefined;
    try {
      result = waiting.read(msg);
    } catch (err) {
      error = err as Error;
    }
    if (waiting.queued && !error) {
      this.#acked = true;
      this.#ackedSent = Math.max(this.#ackedSent, waiting.sent);
    }
    this.#forget(id);
    if (error) waiting.outcome.failed(error);
    else waiting.outcome.answered(result);
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
      throw new NoStreamError(this.#stream);
    }
  }

  /**
   * Fails the calls past their timeout. A publish past it still waits while the stream
   * stored another within the timeout and none sent after it, up to
   * {@link QUEUED_TIMEOUTS} timeouts: it is queued behind them at the server, which
   * answers one connection's publishes in order. Failed, it would be sent again into the
   * same queue, lengthening it for every publish behind (a herd of late ticks on a slow
   * server grew such retries until nothing was stored in time). One sent before a publish
   * stored is lost (as at a stream leader's failover) and fails at its timeout.
   */
  #expire(): void {
    const now = performance.now();
    if (this.#acked) {
      this.#acked = false;
      this.#ackedAt = now;
    }
    const storing = now - this.#ackedAt < this.#timeout;
    const longest = (QUEUED_TIMEOUTS - 1) * this.#timeout;
    for (const [id, waiting] of this.#waiting) {
      // In the order sent, so in the order of their deadlines.
      if (waiting.deadline > now) break;
      const queued = waiting.queued && storing &&
        waiting.sent > this.#ackedSent;
      if (queued && now < waiting.deadline + longest) continue;
      this.#forget(id);
      waiting.outcome.failed(
        new NoAnswerError(
          queued
            ? `no acknowledgement within ${QUEUED_TIMEOUTS} times ${this.#timeout} ms, while the stream acknowledged others`
            : `no acknowledgement within ${this.#timeout} ms`,
        ),
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
      // Nothing waits behind an acknowledgement any more: the next sweep starts afresh.
      this.#acked = false;
    }
  }
}

/** Why `message` cannot be sent to a server that said `info`, or `undefined`. */
function invalid(
  message: EncodedMessage,
  info: { max_payload: number } | undefined,
): Error | undefined {
  if (message.bytes.length === 0) {
    return new TypeError(
      "the message's subject is empty or holds whitespace, or its id a line break",
    );
  }
  if (message.size > (info?.max_payload ?? Infinity)) {
    return new Error(
      `the message (${message.size} bytes) is larger than the server's max_payload`,
    );
  }
  return undefined;
}

/** Tells `outcome` of `err` in a microtask: a caller never hears it from within its call. */
function failSoon(outcome: Outcome<unknown>, err: Error): void {
  queueMicrotask(() => outcome.failed(err));
}
