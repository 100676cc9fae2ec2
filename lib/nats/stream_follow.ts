/**
 * Following a stream across its deletion or recreation, which a consumer does not notice
 * (it goes on from its old sequence): the stream is checked now and then, and the load
 * and follow start again when it changed or the follow ended.
 *
 * @module
 */

import type { StreamInfo } from "@nats-io/jetstream";
import { backoff, wait } from "../_util.ts";

/** How often a followed stream is checked for a deletion or a recreation, in ms. */
export const STREAM_CHECK = 3000;

/** A stream being followed, as {@link whileSame} checks it. */
export interface FollowedStream {
  /** What it is, for the reasons (`the run history`). */
  what: string;
  /** Reads it as it is now: `null` when it does not exist. */
  info: () => Promise<StreamInfo | null>;
  /** Its creation time when the follow began (`StreamInfo.created`). */
  created: string;
  /** The last sequence followed. */
  sequence: () => number;
  /**
   * How many of its subjects the follower holds an entry of, for a stream whose messages
   * go only when a newer one replaces them (a KV bucket without a TTL): once followed to
   * its last sequence, fewer messages than that means some were purged.
   */
  held?: () => number;
}

/**
 * Runs `follow` with a signal aborted when `signal` is, or when `stream` is no longer the
 * one followed (read every {@link STREAM_CHECK} ms: deleted, created again, its
 * sequence went back, or purged under the entries `stream.held` counts; a stream that
 * cannot be read now is read again later). Resolves with why it ended:
 * `<what> was deleted`, `was recreated`, `'s sequence went back`, `was purged`, or
 * `the follow ended` when `follow` returned. A failure of `follow` not due to the abort,
 * nor to the stream changing (looked at once more), rejects.
 *
 * @example
 * ```ts ignore
 * const why = await whileSame(stream, stopping, (signal) => follow(signal));
 * ```
 */
export async function whileSame(
  stream: FollowedStream,
  signal: AbortSignal,
  follow: (signal: AbortSignal) => Promise<void>,
): Promise<string> {
  const { what, info, created, sequence, held } = stream;
  const changed = new AbortController();
  let reason = "the follow ended";
  const look = async (): Promise<string | null> => {
    let now;
    try {
      now = await info();
    } catch {
      return null; // unreadable for now: looked at again later
    }
    if (now === null) return `${what} was deleted`;
    if (now.created !== created) return `${what} was recreated`;
    const { last_seq, messages } = now.state;
    if (last_seq < sequence()) return `${what}'s sequence went back`;
    if (held && last_seq === sequence() && messages < held()) {
      return `${what} was purged`;
    }
    return null;
  };
  const check = setInterval(async () => {
    const why = await look();
    if (why === null || changed.signal.aborted) return;
    reason = why;
    changed.abort();
  }, STREAM_CHECK);
  const ending = AbortSignal.any([signal, changed.signal]);
  try {
    await follow(ending);
  } catch (err) {
    // A follow that fails as its stream goes away ends for that reason.
    const why = ending.aborted ? null : await look();
    if (why !== null) reason = why;
    else if (!ending.aborted) throw err;
  } finally {
    clearInterval(check);
  }
  return reason;
}

/** What {@link followAgain} tells and asks. */
export interface FollowAgainHooks {
  /** True once the first pass loaded what it follows: a failure before ends it. */
  loaded(): boolean;
  /** Ends the following (the pass under way is the caller's to end), and a wait. */
  signal: AbortSignal;
  /** A pass ended (`reason`) and another starts: drop what it loaded. */
  reload(reason: string): void;
}

/**
 * Runs `pass` (a load and follow, resolving with why it ended) again each time it ends,
 * until `hooks.signal` is aborted. A pass that fails once something was loaded is ended too (its
 * reason `the follow failed: <message>`), and the next waits 1 s, doubling up to 30 s
 * while they keep failing; one that fails before rejects the whole.
 *
 * @example
 * ```ts ignore
 * await followAgain(() => pass(), { loaded: () => ready, signal, reload: clear });
 * ```
 */
export async function followAgain(
  pass: () => Promise<string>,
  hooks: FollowAgainHooks,
): Promise<void> {
  const { signal } = hooks;
  for (let failures = 0; !signal.aborted;) {
    let reason: string;
    try {
      reason = await pass();
      failures = 0;
    } catch (err) {
      // Stopping ends a pass as it may: its error is the stop's.
      if (signal.aborted) return;
      if (!hooks.loaded()) throw err;
      reason = `the follow failed: ${(err as Error).message}`;
      failures++;
    }
    if (signal.aborted) return;
    hooks.reload(reason);
    if (failures > 0) await wait(backoff(failures, 1000, 30_000), signal);
  }
}
