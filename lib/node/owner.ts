/**
 * Which node owns a tick: rendezvous hashing of the job's key over the nodes every node
 * counts as members. Each node computes it alone and all agree while their member lists
 * agree; a node that joins or leaves moves only its own share of the keys.
 *
 * @module
 */

import { fnv1a32 } from "../spec/jitter.ts";

/** A member node: its id and the seed of its hashes. */
export interface Member {
  readonly id: string;
  readonly seed: number;
}

/** The member with id `id`. */
export function member(id: string): Member {
  return { id, seed: fnv1a32(id) };
}

/** MurmurHash3's 32-bit finalizer: spreads the bits of `h` over the whole word. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The id of the member that owns the ticks of `key`: the highest score of key and member
 * (the first of `members` on a tie), or `undefined` when there is none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { member, ownerOf } from "./owner.ts";
 * const members = ["a", "b", "c"].map(member);
 * const owners = new Set(Array.from({ length: 100 }, (_, i) => ownerOf(`k${i}`, members)));
 * assert.deepEqual([...owners].sort(), ["a", "b", "c"], "the keys spread over all");
 * assert.equal(ownerOf("k1", members), ownerOf("k1", [...members].reverse()));
 * assert.equal(ownerOf("k1", []), undefined);
 * ```
 */
export function ownerOf(
  key: string,
  members: readonly Member[],
): string | undefined {
  const hash = fnv1a32(key);
  let owner: string | undefined;
  let best = -1;
  for (const { id, seed } of members) {
    const score = mix(hash ^ seed);
    if (score > best) [owner, best] = [id, score];
  }
  return owner;
}
