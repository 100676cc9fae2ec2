/**
 * The ticks a sender gave up on: checked against the job stream a little later, and those
 * it does not hold counted as missed (or skipped), logged and reported.
 *
 * @module
 */

import type { StreamSender } from "../nats/stream_sender.ts";
import type { Logger } from "../ops/log.ts";
import { nextTick } from "../spec/ticks.ts";
import type { ScheduleEvent } from "../types.ts";
import type { Clock } from "./clock.ts";
import { STAMP_MARGIN, type TickRange } from "./stored_ticks.ts";
import type { NodeMetrics, Scheduled } from "./types.ts";

/**
 * How long after a tick is given up it is looked for in the job stream, in ms: time for
 * the publishes of other nodes whose windows end a little later to land.
 */
export const CHECK_DELAY = 2000;

/**
 * How long a check that cannot be trusted yet is tried again, in ms from the give-up: one
 * whose read failed or found NATS down, or one of a tick whose publish had no answer (a
 * timeout, a copy "in process") while the stream has acknowledged nothing since (a
 * stream without quorum stores such ticks once it has it back, and a read before then
 * does not see them).
 */
export const CHECK_WITHIN = 60_000;

/**
 * Why ticks were not sent: `missed` (too late for the job's window) or `skipped` (late,
 * and the job's catch-up policy is `latest` or `none`).
 */
export type GiveUpKind = "missed" | "skipped";

/**
 * Gives up the ticks of `item` in [`first`, `last`]; `unanswered` when the last attempt
 * to publish them had no answer, so the stream may store them yet.
 */
export type GiveUp = (
  item: Scheduled,
  first: number,
  last: number,
  kind: GiveUpKind,
  reason: string,
  unanswered?: boolean,
) => void;

/** What a {@link GivenUpTicks} needs. */
export interface GivenUpOptions {
  /** Tells whether the connection is up. */
  stream: Pick<StreamSender, "connected">;
  /** The node's counters, updated in place. */
  metrics: NodeMetrics;
  log: Logger;
  /**
   * For each range of ticks given up, the scheduled times of those the job stream holds
   * all the same (another node stored them); those are not missed.
   */
  stored: (ranges: readonly TickRange[]) => Promise<Set<number>[]>;
  clock: Clock;
  /** Publishes an event: a `missed` one for each run of ticks counted missed or skipped. */
  onEvent?: (event: ScheduleEvent) => void;
}

/** Ticks of one job given up on, waiting to be checked against the job stream. */
export interface GivenUp extends TickRange {
  item: Scheduled;
  kind: GiveUpKind;
  reason: string;
  /** When they were given up (the node's clock). */
  at: number;
  /**
   * When the last publish had no answer (see {@link GiveUp}): how many acknowledgements
   * the node had had by then; the check waits for one more.
   */
  answersThen?: number;
}

/**
 * Ticks given up, checked in batches {@link CHECK_DELAY} after the first of a batch (at
 * once when stopping): those the job stream does not hold are counted as missed or
 * skipped.
 *
 * @example
 * ```ts ignore
 * const givenUp = new GivenUpTicks({ stream, metrics, log, stored, clock });
 * givenUp.giveUp(item, first, last, "missed", "the node fell behind");
 * givenUp.stop();
 * await givenUp.checked();
 * ```
 */
export class GivenUpTicks {
  readonly #stream: GivenUpOptions["stream"];
  readonly #metrics: NodeMetrics;
  readonly #log: Logger;
  readonly #inStream: GivenUpOptions["stored"];
  readonly #clock: Clock;
  readonly #onEvent: ((event: ScheduleEvent) => void) | undefined;
  #givenUp: GivenUp[] = [];
  /** The batch the check under way reads the stream for. */
  #inCheck: GivenUp[] = [];
  #checking: Promise<void> | undefined;
  /** Ends the wait before a check at once (when stopping). */
  #hurry: (() => void) | undefined;
  #stopping = false;
  /** How many publishes of this node the stream acknowledged (see {@link answered}). */
  #answers = 0;

  constructor(options: GivenUpOptions) {
    this.#stream = options.stream;
    this.#metrics = options.metrics;
    this.#log = options.log;
    this.#inStream = options.stored;
    this.#clock = options.clock;
    this.#onEvent = options.onEvent;
  }

  /**
   * Queues ticks for the check against the job stream that decides they are missed (or
   * skipped).
   */
  giveUp(
    item: Scheduled,
    first: number,
    last: number,
    kind: GiveUpKind,
    reason: string,
    unanswered = false,
  ): void {
    const { jitter, window } = item.rule;
    this.#givenUp.push({
      item,
      subject: item.subject,
      first,
      last,
      until: last + jitter + window + STAMP_MARGIN,
      kind,
      reason,
      at: this.#clock.now(),
      ...(unanswered ? { answersThen: this.#answers } : {}),
    });
    this.#checking ??= this.#check();
  }

  /** The stream acknowledged a publish: it stores again what it was told before. */
  answered(): void {
    this.#answers++;
  }

  /** From now on, ticks given up are checked at once. */
  stop(): void {
    this.#stopping = true;
  }

  /** Ends the wait before the check under way, if any. */
  hurry(): void {
    this.#hurry?.();
  }

  /**
   * The scheduled time of the earliest tick given up that waits for its check (so whose
   * count is still to come); `Infinity` when none does.
   */
  get from(): number {
    let earliest = Infinity;
    for (const range of this.#givenUp) {
      earliest = Math.min(earliest, range.first);
    }
    for (const range of this.#inCheck) {
      earliest = Math.min(earliest, range.first);
    }
    return earliest;
  }

  /** Resolves when the check under way, if any, is done. */
  checked(): Promise<void> | undefined {
    return this.#checking;
  }

  /**
   * Counts as missed (or skipped) the ticks given up that the job stream does not hold,
   * looking for each batch {@link CHECK_DELAY} after it (at once when stopping). A check
   * that cannot be trusted yet is tried again a delay later, for up to
   * {@link CHECK_WITHIN}; after that, or when stopping, the ticks are counted as they
   * read, `unchecked` when they could not be read.
   */
  async #check(): Promise<void> {
    while (this.#givenUp.length > 0) {
      // Each batch waits, also one given up while the one before was being read.
      if (!this.#stopping) await this.#delay();
      const now = this.#clock.now();
      const waiting = (range: GivenUp) =>
        !this.#stopping && now - range.at < CHECK_WITHIN;
      // Unanswered, and the stream has answered nothing since: not to be read yet.
      const ranges: GivenUp[] = [];
      const later: GivenUp[] = [];
      for (const range of this.#givenUp) {
        const unheard = range.answersThen === this.#answers && waiting(range);
        (unheard ? later : ranges).push(range);
      }
      this.#inCheck = ranges;
      this.#givenUp = later;
      let held: Set<number>[] = [];
      let unchecked: string | undefined;
      if (!this.#stream.connected) unchecked = "disconnected from NATS";
      else if (ranges.length > 0) {
        try {
          held = await this.#inStream(ranges);
        } catch (err) {
          unchecked = (err as Error).message;
        }
      }
      ranges.forEach((range, i) => {
        if (unchecked !== undefined && waiting(range)) {
          this.#givenUp.push(range);
        } else this.#count(range, held[i], unchecked);
      });
      this.#inCheck = [];
    }
    this.#checking = undefined;
  }

  /** Waits {@link CHECK_DELAY}, or less when {@link hurry} is called. */
  async #delay(): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = this.#clock.setTimeout(resolve, CHECK_DELAY);
      this.#hurry = () => {
        this.#clock.clearTimeout(timer);
        resolve();
      };
    });
    this.#hurry = undefined;
  }

  #count(range: GivenUp, held = new Set<number>(), unchecked?: string): void {
    const { item, first, last, kind, reason } = range;
    let count = 0;
    for (let at: number | null = first; at !== null && at <= last;) {
      if (!held.has(at)) count++;
      at = nextTick(item.spec, item.anchor, at);
    }
    const fields = {
      key: item.key,
      index: item.index,
      first: new Date(first).toISOString(),
      last: new Date(last).toISOString(),
      reason,
    };
    if (count === 0) {
      this.#log.debug("ticks given up were stored by another node", fields);
      return;
    }
    this.#metrics[kind] += count;
    this.#log.warn(kind === "missed" ? "ticks missed" : "ticks skipped", {
      ...fields,
      count,
      storedByOthers: held.size,
      ...(unchecked && { unchecked }),
    });
    this.#onEvent?.({
      type: "missed",
      at: new Date(this.#clock.now()),
      key: item.key,
      index: item.index,
      scheduledAt: new Date(first),
      until: new Date(last),
      count,
      detail: kind === "missed" ? reason : `skipped: ${reason}`,
    });
  }
}
