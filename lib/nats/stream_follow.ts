/**
 * Following a stream across its deletion or recreation, which a consumer does not notice
 * (it goes on from its old sequence): the stream is checked now and then, and the load
 * and follow start again when it changed or the follow ended.
 *
 * @module
 */

import type { StreamInfo } from "@nats-io/jetstream";
import { backoff } from "../_util.ts";

/** How often a followed stream is checked for a deletion or a recreation, in ms. */
export const STREAM_CHECK = 3000;

/**
 * Every {@link STREAM_CHECK} ms, checks that the stream `info` reads is still the one
 * created at `created` and followed up to `sequence()`; calls `changed` with why when it
 * is not (`<what> was deleted`, `was recreated`, `'s sequence went back`). A stream that
 * cannot be read now is checked again later. Returns the function that ends the checks.
 *
 * @example
 * ```ts ignore
 * const end = checkStream("the run history", info, created, () => last, (why) => restart(why));
 * end();
 * ```
 */
export function checkStream(
  what: string,
  info: () => Promise<StreamInfo | null>,
  created: string,
  sequence: () => number,
  changed: (reason: string) => void,
): () => void {
  const check = setInterval(async () => {
    let now;
    try {
      now = await info();
    } catch {
      return; // unreachable for now: checked again later
    }
    if (now === null) changed(`${what} was deleted`);
    else if (now.created !== created) changed(`${what} was recreated`);
    else if (now.state.last_seq < sequence()) {
      changed(`${what}'s sequence went back`);
    }
  }, STREAM_CHECK);
  return () => clearInterval(check);
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
      if (!hooks.loaded()) throw err;
      reason = `the follow failed: ${(err as Error).message}`;
      failures++;
    }
    if (signal.aborted) return;
    hooks.reload(reason);
    if (failures > 0) await wait(backoff(failures, 1000, 30_000), signal);
  }
}

/** Resolves after `ms`, or as soon as `signal` is aborted. */
function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
