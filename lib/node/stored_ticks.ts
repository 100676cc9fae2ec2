/**
 * Which of the ticks a node gave up on are in the job stream all the same: another node
 * stored them. A tick counts as missed only when it is not there.
 *
 * @module
 */

import type { JetStreamManager } from "@nats-io/jetstream";
import { ScheduleError } from "../errors.ts";
import type { NamespaceNames } from "../nats/names.ts";
import { decodeTick, triggerOf } from "../wire/mod.ts";
import type { Tick } from "../types.ts";

/** How much earlier than its scheduled time a tick may be stamped by the server, in ms. */
export const STAMP_MARGIN = 2000;

/** How many reads run at once. */
const CONCURRENCY = 64;

/** A run of ticks of one job. */
export interface TickRange {
  /** The job's tick subject. */
  subject: string;
  /** The scheduled time of the first tick, in epoch ms. */
  first: number;
  /** The scheduled time of the last tick, in epoch ms. */
  last: number;
  /**
   * The latest a copy of a tick of the range can be stamped by the server, in epoch ms:
   * the last tick's send time at the most (its jitter), plus its window, plus
   * {@link STAMP_MARGIN}.
   */
  until: number;
}

/**
 * For each range, the scheduled times of its ticks that the job stream holds.
 *
 * A tick is never stored before its scheduled time (less {@link STAMP_MARGIN} for clocks
 * apart), nor after the range's `until`, so each job is read with direct gets from the
 * first message stamped after the earliest range began, up to its first message stamped
 * after `until`. Not up to its first tick after the range: ticks are stored in scheduled
 * order only while the stream answers, and after a stream leader froze, the late copies
 * of a job's ticks were stored after its next ones (and counted missed). A backfilled
 * tick of a time in the range counts (it has the scheduled tick's id, so the stream holds
 * one or the other); a manual one does not.
 *
 * @example
 * ```ts ignore
 * const range = { subject, first: 1000, last: 5000, until: 67_000 };
 * const [held] = await storedTicks(namespace, [range]);
 * const missed = 5 - held.size; // for a job ticking every second
 * ```
 */
export async function storedTicks(
  namespace: { jsm: JetStreamManager; names: NamespaceNames },
  ranges: readonly TickRange[],
): Promise<Set<number>[]> {
  if (ranges.length === 0) return [];
  const { jsm, names } = namespace;
  const since = Math.min(...ranges.map((range) => range.first)) - STAMP_MARGIN;
  const from = await firstStampedAt(jsm, names, since);
  const held: Set<number>[] = [];
  for (let start = 0; start < ranges.length; start += CONCURRENCY) {
    const batch = ranges.slice(start, start + CONCURRENCY);
    held.push(
      ...await Promise.all(batch.map((range) => read(jsm, names, from, range))),
    );
  }
  return held;
}

/** The sequence of the first tick stamped at or after `time` (one past the last if none). */
async function firstStampedAt(
  jsm: JetStreamManager,
  names: NamespaceNames,
  time: number,
): Promise<number> {
  const { state } = await jsm.streams.info(names.jobStream);
  let low = state.first_seq;
  let high = state.last_seq + 1;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    const message = await jsm.direct.getMessage(names.jobStream, {
      seq: middle,
      next_by_subj: names.jobSubjects,
    });
    if (message === null || message.time.getTime() >= time) high = middle;
    else low = message.seq + 1;
  }
  return low;
}

/** The ticks of `range` stored on its subject from sequence `from` on. */
async function read(
  jsm: JetStreamManager,
  names: NamespaceNames,
  from: number,
  range: TickRange,
): Promise<Set<number>> {
  const held = new Set<number>();
  for (let seq = from;;) {
    const message = await jsm.direct.getMessage(names.jobStream, {
      seq,
      next_by_subj: range.subject,
    });
    if (message === null || message.time.getTime() > range.until) return held;
    seq = message.seq + 1;
    let tick: Tick;
    try {
      tick = decodeTick(message.data);
    } catch (err) {
      if (err instanceof ScheduleError) continue; // someone else's message, not a tick
      throw err;
    }
    const scheduledAt = tick.scheduledAt.getTime();
    const inRange = scheduledAt >= range.first && scheduledAt <= range.last;
    if (inRange && triggerOf(tick) !== "manual") held.add(scheduledAt);
  }
}
