import assert from "node:assert/strict";
import { MinHeap } from "./heap.ts";

Deno.test("MinHeap pops items in priority order", () => {
  const heap = new MinHeap<number>((n) => n);
  const values = [5, 3, 9, 1, 7, 3, 0, 8, 2, 6, 4];
  for (const value of values) heap.push(value);
  assert.equal(heap.size, values.length);
  assert.equal(heap.peek(), 0);
  const popped: number[] = [];
  for (let n = heap.pop(); n !== undefined; n = heap.pop()) popped.push(n);
  assert.deepEqual(popped, [...values].sort((a, b) => a - b));
  assert.equal(heap.size, 0);
});

Deno.test("MinHeap reads the priority from the item, and keeps working after pops", () => {
  const heap = new MinHeap<{ due: number }>((item) => item.due);
  assert.equal(heap.peek(), undefined);
  assert.equal(heap.pop(), undefined);
  heap.push({ due: 30 });
  heap.push({ due: 10 });
  assert.deepEqual(heap.pop(), { due: 10 });
  heap.push({ due: 20 });
  heap.push({ due: 40 });
  assert.deepEqual(
    [heap.pop(), heap.pop(), heap.pop()].map((item) => item?.due),
    [20, 30, 40],
  );
});

Deno.test("MinHeap reads each item's priority once, as it is added", () => {
  let reads = 0;
  const heap = new MinHeap<{ due: number }>((item) => (reads++, item.due));
  const items = Array.from(
    { length: 100 },
    (_, i) => ({ due: (i * 37) % 100 }),
  );
  heap.pushAll(items.slice(0, 10));
  heap.pushAll(items.slice(10));
  assert.equal(reads, 100);
  // A popped item's priority changes before it is queued again, as the timer queue's do.
  const first = heap.pop()!;
  first.due = 1000;
  heap.push(first);
  const popped: number[] = [];
  for (let item = heap.pop(); item; item = heap.pop()) popped.push(item.due);
  assert.deepEqual(popped, [
    ...Array.from({ length: 99 }, (_, i) => i + 1),
    1000,
  ]);
  assert.equal(reads, 101);
  assert.equal(heap.peekPriority(), Infinity, "empty");
  heap.push({ due: 7 });
  heap.peek()!.due = 70; // moved while queued: the heap still goes by 7
  assert.equal(heap.peekPriority(), 7);
});

Deno.test("pushAll builds a heap that pops in order, alone and on top of items", () => {
  const heap = new MinHeap<number>((n) => n);
  const values = Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1000);
  heap.push(5000);
  heap.pushAll(values.slice(0, 10)); // few: pushed one by one
  heap.pushAll(values.slice(10)); // many: rebuilt
  const popped: number[] = [];
  for (let n = heap.pop(); n !== undefined; n = heap.pop()) popped.push(n);
  assert.deepEqual(popped, [...values, 5000].sort((a, b) => a - b));
});

Deno.test("retain keeps the items asked for, in a heap that pops in order", () => {
  const heap = new MinHeap<number>((n) => n);
  heap.pushAll(Array.from({ length: 200 }, (_, i) => (i * 37) % 200));
  heap.retain((n) => n % 2 === 0);
  const popped: number[] = [];
  for (let n = heap.pop(); n !== undefined; n = heap.pop()) popped.push(n);
  assert.deepEqual(popped, Array.from({ length: 100 }, (_, i) => 2 * i));
});

Deno.test("reorder reads the priorities it moved, and rebuilds only then", () => {
  const heap = new MinHeap<{ due: number }>((item) => item.due);
  const items = Array.from({ length: 100 }, (_, i) => ({ due: 1000 + i }));
  heap.pushAll(items);
  let calls = 0;
  heap.reorder(() => (calls++, false));
  assert.equal(calls, 100);
  assert.equal(heap.peek(), items[0], "nothing moved");
  heap.reorder((item) => {
    if (item.due % 10 !== 5) return false;
    item.due -= 1000; // 1005, 1015, … now come first
    return true;
  });
  const popped: number[] = [];
  for (let item = heap.pop(); item; item = heap.pop()) popped.push(item.due);
  assert.deepEqual(popped, items.map((item) => item.due).sort((a, b) => a - b));
  assert.deepEqual(popped.slice(0, 3), [5, 15, 25]);
});
