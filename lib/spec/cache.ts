/**
 * One compiled {@link Spec} per distinct (spec, zone, options) that is in use.
 *
 * @module
 */

import { parseSpec, type Spec, type SpecOptions } from "./spec.ts";

/**
 * Interns compiled specs. Jobs hold their spec strongly and the cache weakly, so a spec
 * no job uses any more is collected and its entry dropped: nothing to release by hand.
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
  readonly #specs = new Map<string, WeakRef<Spec>>();
  readonly #collected = new FinalizationRegistry<string>((id) => {
    if (this.#specs.get(id)?.deref() === undefined) this.#specs.delete(id);
  });

  /** The compiled spec for (source, timeZone, options); compiles it on first use. */
  get(source: string, timeZone?: string, options: SpecOptions = {}): Spec {
    const id = `${options.dst ?? "exact"}\u0000${
      timeZone ?? ""
    }\u0000${source}`;
    const cached = this.#specs.get(id)?.deref();
    if (cached) return cached;
    const spec = parseSpec(source, timeZone, options);
    this.#specs.set(id, new WeakRef(spec));
    this.#collected.register(spec, id);
    return spec;
  }

  /** How many distinct specs are compiled and alive. */
  get size(): number {
    return this.#specs.size;
  }
}
