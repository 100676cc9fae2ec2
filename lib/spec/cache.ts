/**
 * One compiled {@link Spec} per distinct (spec, zone, options) that is in use.
 *
 * @module
 */

import { parseSpec, type Spec, type SpecOptions } from "./spec.ts";

/** A compiled spec of one source text, in one zone and with one DST rule. */
interface Cached {
  readonly source: string;
  readonly timeZone: string | undefined;
  readonly dst: string;
  ref: WeakRef<Spec>;
  /** The spec, held strongly while the cache holds (see {@link SpecCache.hold}). */
  held: Spec | undefined;
}

/**
 * Interns compiled specs. Jobs hold their spec strongly and the cache weakly, so a spec
 * no job uses any more is collected: nothing to release by hand. The entries of the specs
 * collected are dropped once the cache has doubled since it last looked (a node holds
 * hundreds of thousands of distinct specs, and a finalizer per spec would cost 72 bytes
 * each).
 *
 * A node looks up a million specs as it starts, so a lookup reads as little as it can:
 * entries are found by a hash of (source, zone, DST rule) computed here, since V8 hashes
 * a string fresh from `JSON.parse` that is used as a map key with a call out of
 * JavaScript; and while the cache {@link hold}s, a spec found is read from a field rather
 * than from its weak reference (another such call).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { SpecCache } from "./cache.ts";
 * const specs = new SpecCache();
 * strictEqual(specs.get("@every 15s"), specs.get("@every 15s"));
 * ```
 */
export class SpecCache {
  /** The entries by hash: one, or those whose hashes collide. */
  readonly #byHash = new Map<number, Cached | Cached[]>();
  /** The entries holding their spec strongly, while the cache holds. */
  #held: Cached[] | undefined;
  #size = 0;
  /** How many entries the cache had after it last dropped those collected. */
  #kept = 0;

  /** The compiled spec for (source, timeZone, options); compiles it on first use. */
  get(source: string, timeZone?: string, options: SpecOptions = {}): Spec {
    const dst = options.dst ?? "exact";
    const hash = hashOf(
      hashOf(hashOf(FNV_OFFSET, source), timeZone ?? ""),
      dst,
    );
    const cached = this.#byHash.get(hash);
    let found = cached && find(cached, source, timeZone, dst);
    const alive = found && (found.held ?? found.ref.deref());
    if (found && alive) return this.#hold(found, alive);
    const spec = parseSpec(source, timeZone, options);
    const ref = new WeakRef(spec);
    if (found) found.ref = ref;
    else {
      found = { source, timeZone, dst, ref, held: undefined };
      if (cached === undefined) this.#byHash.set(hash, found);
      else if (Array.isArray(cached)) cached.push(found);
      else this.#byHash.set(hash, [cached, found]);
      if (++this.#size > 2 * this.#kept + SWEEP_FLOOR) this.#sweep();
    }
    return this.#hold(found, spec);
  }

  /**
   * Holds every spec looked up from now on strongly as well, until the function returned
   * is called: for a burst of lookups, such as a node loading its definitions.
   *
   * @example
   * ```ts
   * import { SpecCache } from "./cache.ts";
   * const specs = new SpecCache();
   * const release = specs.hold();
   * specs.get("@hourly");
   * release();
   * ```
   */
  hold(): () => void {
    const held: Cached[] = this.#held ??= [];
    return () => {
      for (const entry of held) entry.held = undefined;
      if (this.#held === held) this.#held = undefined;
    };
  }

  /**
   * How many distinct specs the cache knows: those compiled and alive, and those collected
   * since it last dropped theirs.
   */
  get size(): number {
    return this.#size;
  }

  #hold(entry: Cached, spec: Spec): Spec {
    if (this.#held && entry.held === undefined) {
      entry.held = spec;
      this.#held.push(entry);
    }
    return spec;
  }

  /** Drops the entries whose spec was collected. */
  #sweep(): void {
    let size = 0;
    for (const [hash, cached] of this.#byHash) {
      if (!Array.isArray(cached)) {
        // Most hashes have one entry: no array made for it.
        if (isAlive(cached)) size++;
        else this.#byHash.delete(hash);
        continue;
      }
      const alive = cached.filter(isAlive);
      size += alive.length;
      if (alive.length === 0) this.#byHash.delete(hash);
      else this.#byHash.set(hash, alive.length === 1 ? alive[0] : alive);
    }
    this.#size = this.#kept = size;
  }
}

/** The fewest entries a cache has before it first looks for those collected. */
const SWEEP_FLOOR = 1024;

function isAlive(entry: Cached): boolean {
  return entry.held !== undefined || entry.ref.deref() !== undefined;
}

const FNV_OFFSET = 0x811c9dc5;

/** FNV-1a of `text` and a separator, from `hash`; 30 bits (a small integer in V8). */
function hashOf(hash: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  }
  return Math.imul(hash, 0x01000193) & 0x3fffffff;
}

function find(
  cached: Cached | Cached[],
  source: string,
  timeZone: string | undefined,
  dst: string,
): Cached | undefined {
  if (!Array.isArray(cached)) {
    return isOf(cached, source, timeZone, dst) ? cached : undefined;
  }
  for (const c of cached) if (isOf(c, source, timeZone, dst)) return c;
  return undefined;
}

function isOf(
  entry: Cached,
  source: string,
  timeZone: string | undefined,
  dst: string,
): boolean {
  return entry.source === source && entry.timeZone === timeZone &&
    entry.dst === dst;
}
