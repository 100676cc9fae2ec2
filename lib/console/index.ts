/**
 * The namespace's definitions, held in memory: read in one pass, as a node reads them,
 * then followed by a watch of the bucket, and read again when it is deleted, recreated or purged. The console lists, filters and sorts them
 * without a request per key, and is told of each change.
 *
 * @module
 */

import type { BucketEntry } from "../nats/bucket_read.ts";
import type { Namespace } from "../nats/namespace.ts";
import type { Logger } from "../ops/log.ts";
import { SpecCache } from "../spec/mod.ts";
import { firstTickAfter } from "../spec/ticks.ts";
import type { Spec } from "../spec/spec.ts";
import type { Definition } from "../types.ts";
import { decodeDefinition } from "../wire/mod.ts";

/** One key as the index holds it. */
export interface IndexEntry {
  /** The key. */
  key: string;
  /** Its definition (with its pause note). */
  definition: Definition;
  /** The compiled spec of each job. */
  specs: Spec[];
  /** The bucket revision. */
  revision: number;
  /** When the revision was written, in epoch ms. */
  definedAt: number;
}

/**
 * The definitions of a namespace, kept current by following the bucket. When the bucket
 * is deleted, recreated or purged (checked every 3 s, as a node does), or the follow fails, every
 * definition is dropped and the bucket read again from its start, logged
 * `reloading the definitions`; while it is missing, read again after a backoff.
 *
 * @example
 * ```ts ignore
 * const index = await DefinitionIndex.start(namespace, log);
 * console.log(index.size);
 * index.stop();
 * ```
 */
export class DefinitionIndex {
  readonly #entries = new Map<string, IndexEntry>();
  readonly #listeners = new Set<(key: string) => void>();
  readonly #specs = new SpecCache();
  readonly #stopping = new AbortController();

  private constructor() {}

  /**
   * Reads the definitions of `namespace` and follows its bucket from the next revision
   * (`Namespace.keepFollowing`); resolves once every stored definition is read.
   */
  static async start(
    namespace: Namespace,
    log: Logger,
  ): Promise<DefinitionIndex> {
    const index = new DefinitionIndex();
    await namespace.keepFollowing("definitions", {
      each: (entry) => index.#apply(entry),
      reload: (reason) => {
        log.warn("reloading the definitions", {
          reason,
          dropped: index.#entries.size,
        });
        index.#clear();
      },
      log,
      held: () => index.#entries.size,
    }, index.#stopping.signal);
    return index;
  }

  /** The number of keys. */
  get size(): number {
    return this.#entries.size;
  }

  /** The entry of `key`, if it is defined. */
  get(key: string): IndexEntry | undefined {
    return this.#entries.get(key);
  }

  /** Every entry, in no order. */
  values(): IterableIterator<IndexEntry> {
    return this.#entries.values();
  }

  /** Calls `listener` with the key of each change; returns the call that stops it. */
  subscribe(listener: (key: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops the watch. */
  stop(): void {
    this.#stopping.abort();
  }

  /** Drops every definition, telling the listeners of each key. */
  #clear(): void {
    const keys = [...this.#entries.keys()];
    this.#entries.clear();
    for (const key of keys) {
      for (const listener of this.#listeners) listener(key);
    }
  }

  #apply(entry: BucketEntry): void {
    this.#entries.delete(entry.key);
    if (entry.operation === "PUT") {
      try {
        const compile = this.#specs.get.bind(this.#specs);
        const { definition, specs } = decodeDefinition(entry.value, compile);
        this.#entries.set(entry.key, {
          key: entry.key,
          definition,
          specs,
          revision: entry.revision,
          definedAt: entry.created,
        });
      } catch { /* not a valid definition: not listed */ }
    }
    for (const listener of this.#listeners) listener(entry.key);
  }
}

/**
 * The next fire time of a key (the earliest of its jobs, by the tick rule with each
 * job's start, end and maxRuns), in epoch ms; `null` when paused or when no job fires
 * again.
 *
 * @example
 * ```ts ignore
 * const next = nextFire(index.get("report")!, Date.now());
 * ```
 */
export function nextFire(entry: IndexEntry, now: number): number | null {
  if (entry.definition.paused) return null;
  let next: number | null = null;
  entry.specs.forEach((spec, index) => {
    const at = firstTickAfter(
      spec,
      entry.definition,
      entry.definedAt,
      now,
      entry.definition.jobs[index].policy,
    );
    if (at !== null && (next === null || at < next)) next = at;
  });
  return next;
}
