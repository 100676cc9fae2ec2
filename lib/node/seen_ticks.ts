/**
 * What a standby node learns of the ticks other nodes publish, without publishing them
 * itself: the tick ids it saw pass on the job subjects, and a cheap check of which of
 * them the job stream holds.
 *
 * @module
 */

import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import type { JetStreamManager } from "@nats-io/jetstream";
import type { NamespaceNames } from "../nats/names.ts";
import type { Logger } from "../ops/log.ts";

/** A tick to confirm: its job's subject and its `Nats-Msg-Id`. */
export interface TickToConfirm {
  subject: string;
  id: string;
}

/** How a {@link Sender} asks about the ticks it would send as a backup. */
export interface SeenTicks {
  /** Whether a publish of the tick `id` was seen on the job subjects lately. */
  has(id: string): boolean;
  /**
   * Of `ticks`, the ids the job stream holds as its subject's last message; a failed
   * check confirms none.
   */
  confirm(ticks: readonly TickToConfirm[]): Promise<Set<string>>;
  /** Stops listening. */
  close(): void;
}

/** The most subjects asked about in one batch of the direct get API. */
const BATCH = 256;

/**
 * Listens (core NATS, no stream consumer) to the job subjects of a namespace and keeps the
 * `Nats-Msg-Id` of each message seen for at least `memory` ms (two generations of sets,
 * rotated every `memory` ms). {@link confirm} reads the last message of each subject with
 * one batched direct get (`multi_last`) per {@link BATCH} subjects: a read served by any
 * replica of the stream, without a write, a raft round or a duplicate-window entry.
 *
 * @example
 * ```ts ignore
 * const seen = new SubjectWatch(nc, jsm, names, log, 5000);
 * if (seen.has(id)) (await seen.confirm([{ subject, id }])).has(id);
 * seen.close();
 * ```
 */
export class SubjectWatch implements SeenTicks {
  readonly #jsm: JetStreamManager;
  readonly #names: NamespaceNames;
  readonly #log: Logger;
  readonly #subscription: Subscription;
  readonly #rotate: ReturnType<typeof setInterval>;
  #current = new Set<string>();
  #previous = new Set<string>();
  #failed = false;

  constructor(
    nc: NatsConnection,
    jsm: JetStreamManager,
    names: NamespaceNames,
    log: Logger,
    memory: number,
  ) {
    this.#jsm = jsm;
    this.#names = names;
    this.#log = log;
    this.#subscription = nc.subscribe(names.jobSubjects, {
      callback: (err, msg) => {
        if (err) {
          this.#fail(err);
          return;
        }
        const id = msg.headers?.get("Nats-Msg-Id");
        if (id) this.#current.add(id);
      },
    });
    this.#subscription.closed.then((err) => err && this.#fail(err));
    this.#rotate = setInterval(() => {
      this.#previous = this.#current;
      this.#current = new Set();
    }, memory);
    Deno.unrefTimer(this.#rotate);
  }

  has(id: string): boolean {
    return !this.#failed &&
      (this.#current.has(id) || this.#previous.has(id));
  }

  async confirm(ticks: readonly TickToConfirm[]): Promise<Set<string>> {
    const held = new Set<string>();
    const wanted = new Map<string, string>();
    for (const { subject, id } of ticks) wanted.set(subject, id);
    const subjects = [...wanted.keys()];
    try {
      for (let start = 0; start < subjects.length; start += BATCH) {
        const batch = subjects.slice(start, start + BATCH);
        const messages = await this.#jsm.direct.getLastMessagesFor(
          this.#names.jobStream,
          { multi_last: batch, batch: batch.length },
        );
        for await (const message of messages) {
          const id = message.header?.get("Nats-Msg-Id");
          if (id && wanted.get(message.subject) === id) held.add(id);
        }
      }
    } catch (err) {
      this.#log.debug("checking the ticks seen failed; sending them", {
        error: (err as Error).message,
      });
    }
    return held;
  }

  close(): void {
    clearInterval(this.#rotate);
    this.#subscription.unsubscribe();
  }

  #fail(err: Error): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#log.warn(
      "cannot listen to the job subjects; standby nodes send every backup",
      { error: err.message },
    );
  }
}
