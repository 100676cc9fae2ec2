/**
 * The backup sends of a standby held back for one check: a tick seen published by
 * another node is likely in the job stream already, and then is not sent again.
 *
 * @module
 */

import type { NamespaceNames } from "../nats/names.ts";
import type { SeenTicks, TickToConfirm } from "./seen_ticks.ts";
import type { Scheduled } from "./types.ts";

/** A backup send waiting for the check of a tick seen published by another node. */
interface Doubt extends TickToConfirm {
  item: Scheduled;
  at: number;
}

/** A backup send checked: whether the job stream `held` the tick of `item` at `at`. */
export interface Checked {
  item: Scheduled;
  at: number;
  held: boolean;
}

/**
 * The backup sends of ticks seen published, checked against the job stream in batches.
 *
 * @example
 * ```ts ignore
 * const backups = new BackupCheck(seen, names);
 * if (backups.add(item) === "first") queueMicrotask(async () => await backups.check());
 * ```
 */
export class BackupCheck {
  readonly #seen: SeenTicks;
  readonly #names: NamespaceNames;
  #doubts: Doubt[] = [];

  constructor(seen: SeenTicks, names: NamespaceNames) {
    this.#seen = seen;
    this.#names = names;
  }

  /**
   * Holds back the backup send of the tick of `item` at `item.due` when it was seen
   * published: `"first"` when it starts a batch to {@link check}, `"more"` when it joins
   * one, `null` (not held back) when it was not seen.
   */
  add(item: Scheduled): "first" | "more" | null {
    const id = this.#names.tickId(item.key, item.index, item.due);
    if (!this.#seen.has(id)) return null;
    const first = this.#doubts.length === 0;
    this.#doubts.push({ item, at: item.due, subject: item.subject, id });
    return first ? "first" : "more";
  }

  /** Checks the batch held back, in one go, and starts a new one. */
  async check(): Promise<Checked[]> {
    const doubts = this.#doubts;
    this.#doubts = [];
    const held = await this.#seen.confirm(doubts);
    return doubts.map(({ item, at, id }) => ({ item, at, held: held.has(id) }));
  }
}
