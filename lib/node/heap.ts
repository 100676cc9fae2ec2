/**
 * A binary min-heap: the store of the node's timer queue.
 *
 * @module
 */

/**
 * A min-heap of items ordered by a numeric priority read from each item.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MinHeap } from "./heap.ts";
 * const heap = new MinHeap<{ due: number }>((item) => item.due);
 * heap.push({ due: 3 });
 * heap.push({ due: 1 });
 * assert.deepEqual(heap.pop(), { due: 1 });
 * ```
 */
export class MinHeap<T> {
  readonly #items: T[] = [];

  constructor(readonly priority: (item: T) => number) {}

  /** How many items are queued. */
  get size(): number {
    return this.#items.length;
  }

  /** The item with the lowest priority, without removing it. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** Adds an item. */
  push(item: T): void {
    const items = this.#items;
    items.push(item);
    let child = items.length - 1;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (this.priority(items[parent]) <= this.priority(items[child])) break;
      [items[parent], items[child]] = [items[child], items[parent]];
      child = parent;
    }
  }

  /**
   * Adds many items: pushed one by one when they are few beside the heap, else appended
   * and the heap rebuilt bottom-up (linear time: the initial load of a million jobs).
   */
  pushAll(added: readonly T[]): void {
    const items = this.#items;
    if (added.length < 64 || added.length < items.length / 8) {
      for (const item of added) this.push(item);
      return;
    }
    for (const item of added) items.push(item);
    for (let parent = (items.length >> 1) - 1; parent >= 0; parent--) {
      this.#down(parent);
    }
  }

  /** Keeps only the items `keep` holds true for: one rebuild, in linear time. */
  retain(keep: (item: T) => boolean): void {
    const kept = this.#items.filter(keep);
    this.#items.length = 0;
    this.pushAll(kept);
  }

  /** Removes and returns the item with the lowest priority. */
  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    items[0] = last;
    this.#down(0);
    return top;
  }

  /** Moves the item at `parent` down to its place. */
  #down(parent: number): void {
    const items = this.#items;
    for (;;) {
      const left = 2 * parent + 1;
      const right = left + 1;
      let smallest = parent;
      if (
        left < items.length &&
        this.priority(items[left]) < this.priority(items[smallest])
      ) {
        smallest = left;
      }
      if (
        right < items.length &&
        this.priority(items[right]) < this.priority(items[smallest])
      ) {
        smallest = right;
      }
      if (smallest === parent) return;
      [items[parent], items[smallest]] = [items[smallest], items[parent]];
      parent = smallest;
    }
  }
}
