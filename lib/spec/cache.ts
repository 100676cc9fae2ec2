/**
 * One compiled {@link Spec} per distinct (spec, zone, options) that is in use.
 *
 * @module
 */

import { parseSpec, type Spec, type SpecOptions } from "./spec.ts";

/** A compiled spec of one source text, in one zone and with one DST rule. */
interface Cached {
  readonly timeZone: string | undefined;
  readonly dst: string;
  ref: WeakRef<Spec>;
}

/**
 * Interns compiled specs. Jobs hold their spec strongly and the cache weakly, so a spec
 * no job uses any more is collected and its entry dropped: nothing to release by hand.
 *
 * Specs are found by their source text, then among its few zones and DST rules: a node
 * looks up a million of them as it starts, and a key made of the three was a string to
 * build and hash each time.
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
  readonly #bySource = new Map<string, Cached[]>();
  readonly #collected = new FinalizationRegistry<string>((source) =>
    this.#prune(source)
  );
  #size = 0;

  /** The compiled spec for (source, timeZone, options); compiles it on first use. */
  get(source: string, timeZone?: string, options: SpecOptions = {}): Spec {
    const dst = options.dst ?? "exact";
    const cached = this.#bySource.get(source);
    const found = cached && find(cached, timeZone, dst);
    const alive = found?.ref.deref();
    if (alive) return alive;
    const spec = parseSpec(source, timeZone, options);
    const ref = new WeakRef(spec);
    if (found) found.ref = ref;
    else {
      if (cached) cached.push({ timeZone, dst, ref });
      else this.#bySource.set(source, [{ timeZone, dst, ref }]);
      this.#size++;
    }
    this.#collected.register(spec, source);
    return spec;
  }

  /** How many distinct specs are compiled and alive. */
  get size(): number {
    return this.#size;
  }

  /** Drops the entries of `source` whose spec was collected. */
  #prune(source: string): void {
    const cached = this.#bySource.get(source);
    if (!cached) return;
    const alive = cached.filter((c) => c.ref.deref() !== undefined);
    this.#size -= cached.length - alive.length;
    if (alive.length === 0) this.#bySource.delete(source);
    else this.#bySource.set(source, alive);
  }
}

function find(
  cached: Cached[],
  timeZone: string | undefined,
  dst: string,
): Cached | undefined {
  for (const c of cached) {
    if (c.timeZone === timeZone && c.dst === dst) return c;
  }
  return undefined;
}
