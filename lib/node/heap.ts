/**
 * A binary min-heap: the store of the node's timer queue.
 *
 * @module
 */

/**
 * A min-heap of items ordered by a numeric priority read from each item when it is added.
 * The priorities are kept in an array of their own beside the items: a pop compares
 * about 2 log₂ n of them, and reading each from its item would touch as many objects
 * scattered over the heap (a cache miss each, a quarter of the node's firing time at a
 * million jobs). An item's priority must not change while it is queued, but through
 * {@link MinHeap.reorder}.
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
  /** The priority of the item at the same index. */
  readonly #keys: number[] = [];

  constructor(readonly priority: (item: T) => number) {}

  /** How many items are queued. */
  get size(): number {
    return this.#items.length;
  }

  /** The item with the lowest priority, without removing it. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /**
   * The lowest priority, as read when its item was added (`Infinity` when empty): what
   * the heap is ordered by, even if the item's field has moved since.
   */
  peekPriority(): number {
    return this.#keys[0] ?? Infinity;
  }

  /** Adds an item. */
  push(item: T): void {
    this.#items.push(item);
    this.#keys.push(this.priority(item));
    this.#up(this.#items.length - 1);
  }

  /**
   * Adds many items: pushed one by one when they are few beside the heap, else appended
   * and the heap rebuilt bottom-up (linear time: the initial load of a million jobs).
   */
  pushAll(added: readonly T[]): void {
    if (added.length < 64 || added.length < this.#items.length / 8) {
      for (const item of added) this.push(item);
      return;
    }
    for (const item of added) {
      this.#items.push(item);
      this.#keys.push(this.priority(item));
    }
    this.#heapify();
  }

  /**
   * Calls `change` on every item; when it says it moved one's priority (`true`), reads
   * every priority again and rebuilds the heap, in linear time.
   */
  reorder(change: (item: T) => boolean): void {
    const items = this.#items;
    let changed = false;
    for (const item of items) if (change(item)) changed = true;
    if (!changed) return;
    for (let i = 0; i < items.length; i++) {
      this.#keys[i] = this.priority(items[i]);
    }
    this.#heapify();
  }

  /** Keeps only the items `keep` holds true for: one rebuild, in linear time. */
  retain(keep: (item: T) => boolean): void {
    const kept = this.#items.filter(keep);
    this.#items.length = 0;
    this.#keys.length = 0;
    this.pushAll(kept);
  }

  /** Removes and returns the item with the lowest priority. */
  pop(): T | undefined {
    const items = this.#items;
    const keys = this.#keys;
    const top = items[0];
    const last = items.pop();
    const lastKey = keys.pop();
    if (items.length === 0 || last === undefined) return top;
    items[0] = last;
    keys[0] = lastKey!;
    this.#down(0);
    return top;
  }

  /** Orders the whole heap bottom-up, in linear time. */
  #heapify(): void {
    for (let parent = (this.#items.length >> 1) - 1; parent >= 0; parent--) {
      this.#down(parent);
    }
  }

  /** Moves the item at `child` up to its place. */
  #up(child: number): void {
    const keys = this.#keys;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (keys[parent] <= keys[child]) return;
      this.#swap(parent, child);
      child = parent;
    }
  }

  /** Moves the item at `parent` down to its place. */
  #down(parent: number): void {
    const keys = this.#keys;
    const size = keys.length;
    for (;;) {
      const left = 2 * parent + 1;
      const right = left + 1;
      let smallest = parent;
      if (left < size && keys[left] < keys[smallest]) smallest = left;
      if (right < size && keys[right] < keys[smallest]) smallest = right;
      if (smallest === parent) return;
      this.#swap(parent, smallest);
      parent = smallest;
    }
  }

  #swap(a: number, b: number): void {
    const items = this.#items;
    const keys = this.#keys;
    const item = items[a];
    items[a] = items[b];
    items[b] = item;
    const key = keys[a];
    keys[a] = keys[b];
    keys[b] = key;
  }
}
