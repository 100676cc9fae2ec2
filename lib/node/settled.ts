/**
 * How far the nodes have settled the ticks: a record each node writes every few seconds
 * and as it stops, in the nodes' bucket. A node starting reads it, and then reads the last
 * tick only of the jobs that may have a tick after it (see `CatchUp`), not the last tick
 * of every job: at a million jobs that read took 5.6 s of a restart.
 *
 * The record is a fact that stays true: whoever wrote it, and however old it is, every
 * tick it covers was settled. An old one only leaves more jobs to read.
 *
 * @module
 */

import { isRecord, jsonOf } from "../_util.ts";
import type { Namespace } from "../nats/namespace.ts";
import type { Logger } from "../ops/log.ts";

/** How often a node writes its record, in ms. */
export const SETTLED_INTERVAL = 5000;

/** The key of the record in the nodes' bucket. */
export const SETTLED_KEY = "settled";

/** A node's record of the ticks it has settled. */
export interface Settled {
  /**
   * Every tick of a definition applied by then whose send time is at or before this (the
   * server's time, epoch ms) is settled: stored, or counted missed or skipped.
   */
  through: number;
  /** The definitions bucket it covers: when that was created (from its stream info). */
  bucket: string;
  /** The bucket revision applied: definitions stored after it are not covered. */
  revision: number;
  /** The node that wrote it. */
  node: string;
}

const encoder = new TextEncoder();

/**
 * The record in `data`, or `null` when it is not one (written by someone else).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeSettled } from "./settled.ts";
 * const record = { through: 5, bucket: "b", revision: 3, node: "n1" };
 * const bytes = new TextEncoder().encode(JSON.stringify(record));
 * assert.deepEqual(decodeSettled(bytes), record);
 * assert.equal(decodeSettled(new TextEncoder().encode('{"through":"5"}')), null);
 * ```
 */
export function decodeSettled(data: Uint8Array): Settled | null {
  const value = jsonOf(data);
  if (
    !isRecord(value) || !Number.isFinite(value.through) ||
    typeof value.bucket !== "string" || !Number.isInteger(value.revision) ||
    typeof value.node !== "string"
  ) return null;
  const { through, bucket, revision, node } = value as unknown as Settled;
  return { through, bucket, revision, node };
}

/** What a {@link SettledRecord} needs. */
export interface SettledRecordOptions {
  namespace: Namespace;
  /** The node's record now, or `null` when it has none to write (loading, disconnected). */
  settled: () => Settled | null;
  log: Logger;
  /** How often it is written, in ms (default {@link SETTLED_INTERVAL}). */
  interval?: number;
}

/**
 * Reads the nodes' record, and writes this node's every `interval` and once more as it
 * stops. A write that fails is logged (a warning the first time after one that worked)
 * and tried again at the next interval, the bucket opened anew (created again if it was
 * deleted): a stale record is still true.
 *
 * @example
 * ```ts ignore
 * const record = new SettledRecord({ namespace, settled: () => node.settled(), log });
 * const last = await record.read();
 * record.start();
 * await record.stop();
 * ```
 */
export class SettledRecord {
  readonly #options: SettledRecordOptions;
  #timer: ReturnType<typeof setInterval> | undefined;
  #written = -Infinity;
  #failing = false;
  /** Whether the last write failed, so that the bucket is opened anew (it may be gone). */
  #reopen = false;
  /** The write under way: one at a time, so the last one stored is the latest. */
  #writing: Promise<void> = Promise.resolve();

  constructor(options: SettledRecordOptions) {
    this.#options = options;
  }

  /** The record stored, or `null` when there is none or it is not valid. */
  async read(): Promise<Settled | null> {
    const kv = await this.#options.namespace.nodeState();
    const entry = await kv.get(SETTLED_KEY);
    return entry?.operation === "PUT" ? decodeSettled(entry.value) : null;
  }

  /** Writes the record every interval from now on. */
  start(): void {
    this.#timer ??= setInterval(
      () => this.#write(),
      this.#options.interval ?? SETTLED_INTERVAL,
    );
  }

  /** Stops the writes, then writes the record once more. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#write();
  }

  #write(): Promise<void> {
    return this.#writing = this.#writing.then(() => this.#put());
  }

  async #put(): Promise<void> {
    const { namespace, settled, log } = this.#options;
    const record = settled();
    if (record === null || record.through <= this.#written) return;
    try {
      const kv = await namespace.nodeState(this.#reopen);
      await kv.put(SETTLED_KEY, encoder.encode(JSON.stringify(record)));
      this.#written = record.through;
      this.#failing = this.#reopen = false;
    } catch (err) {
      this.#reopen = true;
      log[this.#failing ? "debug" : "warn"](
        "cannot write how far the ticks are settled",
        { error: (err as Error).message },
      );
      this.#failing = true;
    }
  }
}
