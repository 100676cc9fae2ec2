/**
 * A map of values that know their definition key, found by a hash computed in JavaScript.
 *
 * @module
 */

import { fnv1a32 } from "../spec/jitter.ts";

/** The values of keys whose hashes are the same. */
class SameHash<V> {
  constructor(readonly values: V[]) {}
}

/**
 * A map of values by their key (`keyOf`), found by the key's FNV-1a hash
 * ({@link fnv1a32}, 30 bits: a small integer to V8) in a `Map`; the rare keys of the same
 * hash share an entry.
 *
 * A node meets each of its keys as a string fresh off the wire, and V8 hashes such a
 * string, the first time it is a `Map` key, with a call out of JavaScript: in a profile
 * of a node loading a million definitions (machine B), the node's two maps by key took
 * 1.4 s of its main thread as `Map`s of strings, 0.55 s as `KeyMap`s. A value that
 * knows its key saves a wrapper object per key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { KeyMap } from "./key_map.ts";
 * const jobs = new KeyMap((job: { key: string; url: string }) => job.key);
 * jobs.set({ key: "report", url: "https://example.com/a" });
 * jobs.set({ key: "backup", url: "https://example.com/b" });
 * assert.equal(jobs.get("report")?.url, "https://example.com/a");
 * assert.equal(jobs.delete("report")?.key, "report");
 * assert.equal(jobs.get("report"), undefined);
 * assert.deepEqual([jobs.size, jobs.keys()], [1, ["backup"]]);
 * ```
 */
export class KeyMap<V> {
  readonly #byHash = new Map<number, V | SameHash<V>>();
  readonly #keyOf: (value: V) => string;
  #size = 0;

  /** @param keyOf The key of a value. */
  constructor(keyOf: (value: V) => string) {
    this.#keyOf = keyOf;
  }

  /** How many keys the map holds. */
  get size(): number {
    return this.#size;
  }

  /** The value of `key`, `undefined` when it has none. */
  get(key: string): V | undefined {
    const held = this.#byHash.get(hashOf(key));
    if (held === undefined) return undefined;
    if (held instanceof SameHash) {
      return held.values.find((value) => this.#keyOf(value) === key);
    }
    return this.#keyOf(held) === key ? held : undefined;
  }

  /** Sets `value` as the value of its key. */
  set(value: V): void {
    const key = this.#keyOf(value);
    const hash = hashOf(key);
    const held = this.#byHash.get(hash);
    if (held instanceof SameHash) {
      const at = held.values.findIndex((other) => this.#keyOf(other) === key);
      if (at >= 0) held.values[at] = value;
      else {
        held.values.push(value);
        this.#size++;
      }
    } else if (held === undefined || this.#keyOf(held) === key) {
      this.#byHash.set(hash, value);
      if (held === undefined) this.#size++;
    } else {
      this.#byHash.set(hash, new SameHash([held, value]));
      this.#size++;
    }
  }

  /** Removes the value of `key` and returns it; `undefined` when it had none. */
  delete(key: string): V | undefined {
    const hash = hashOf(key);
    const held = this.#byHash.get(hash);
    if (held === undefined) return undefined;
    let removed: V | undefined;
    if (!(held instanceof SameHash)) {
      if (this.#keyOf(held) !== key) return undefined;
      this.#byHash.delete(hash);
      removed = held;
    } else {
      const at = held.values.findIndex((value) => this.#keyOf(value) === key);
      if (at < 0) return undefined;
      [removed] = held.values.splice(at, 1);
      if (held.values.length === 1) this.#byHash.set(hash, held.values[0]);
    }
    this.#size--;
    return removed;
  }

  /** The keys, in no particular order. */
  keys(): string[] {
    const keys: string[] = [];
    for (const held of this.#byHash.values()) {
      if (!(held instanceof SameHash)) keys.push(this.#keyOf(held));
      else for (const value of held.values) keys.push(this.#keyOf(value));
    }
    return keys;
  }
}

/** FNV-1a of `key`, 30 bits. */
function hashOf(key: string): number {
  return fnv1a32(key) & 0x3fffffff;
}
