/**
 * The ticks a sender holds while NATS is unreachable, and which of them go when it is
 * back, by each job's window and catch-up policy.
 *
 * @module
 */

import type { NamespaceNames } from "../nats/names.ts";
import { nextTick } from "../spec/ticks.ts";
import type { GivenUp, GiveUp } from "./given_up.ts";
import { fireTime } from "./rule.ts";
import type { Scheduled } from "./types.ts";

/** The ticks of one job held while disconnected: all of its ticks in `[first, last]`. */
interface Held {
  first: number;
  last: number;
}

/** A tick to send: the tick of `item` scheduled at `at`. */
export interface DueTick {
  item: Scheduled;
  at: number;
}

/**
 * The ticks held while disconnected, by job.
 *
 * @example
 * ```ts ignore
 * const held = new HeldTicks(names, giveUp);
 * held.hold(item, item.due);
 * for (const { item, at } of held.release(Date.now())) publish(item, at);
 * ```
 */
export class HeldTicks {
  readonly #names: NamespaceNames;
  readonly #giveUp: GiveUp;
  readonly #held = new Map<Scheduled, Held>();

  constructor(names: NamespaceNames, giveUp: GiveUp) {
    this.#names = names;
    this.#giveUp = giveUp;
  }

  /** How many jobs have ticks held. */
  get size(): number {
    return this.#held.size;
  }

  /** Holds the tick of `item` scheduled at `scheduledAt`. */
  hold(item: Scheduled, scheduledAt: number): void {
    const held = this.#held.get(item);
    if (!held) this.#held.set(item, { first: scheduledAt, last: scheduledAt });
    else {
      held.first = Math.min(held.first, scheduledAt);
      held.last = Math.max(held.last, scheduledAt);
    }
  }

  /** Gives up every tick held, as missed for `reason`. */
  drop(reason: string): void {
    for (const [item, { first, last }] of this.#held) {
      this.#giveUp(item, first, last, "missed", reason);
    }
    this.#held.clear();
  }

  /**
   * The connection is back: gives up the ticks held that are now older than their window
   * (missed) or that their job's catch-up policy does not send (skipped: all but the
   * latest, or all), and returns the others, oldest first (so each job's in scheduled
   * order).
   */
  release(now: number): DueTick[] {
    const due: DueTick[] = [];
    for (const [item, held] of this.#held) this.#release(item, held, now, due);
    this.#held.clear();
    due.sort((a, b) => a.at - b.at);
    return due;
  }

  /** Sorts the ticks held of one job: given up in runs of one kind, or added to `due`. */
  #release(item: Scheduled, held: Held, now: number, due: DueTick[]): void {
    const { first, last } = held;
    const { window, catchup } = item.rule;
    let run:
      | Pick<GivenUp, "item" | "subject" | "first" | "last" | "kind" | "reason">
      | null = null;
    for (let at: number | null = first; at !== null && at <= last;) {
      const kind = fireTime(this.#names, item, at) < now - window
        ? "missed"
        : catchup === "all" || (catchup === "latest" && at === last)
        ? null
        : "skipped";
      if (run !== null && run.kind === kind) run.last = at;
      else {
        if (run !== null) {
          this.#giveUp(item, run.first, run.last, run.kind, run.reason);
        }
        run = kind === null ? null : {
          item,
          subject: item.subject,
          first: at,
          last: at,
          kind,
          reason: kind === "missed"
            ? "disconnected for longer than catchup"
            : `catchup ${catchup}: held while disconnected`,
        };
      }
      if (kind === null) due.push({ item, at });
      at = nextTick(item.spec, item.anchor, at);
    }
    if (run !== null) {
      this.#giveUp(item, run.first, run.last, run.kind, run.reason);
    }
  }
}
