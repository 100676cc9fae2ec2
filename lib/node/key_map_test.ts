import assert from "node:assert/strict";
import { fnv1a32 } from "../spec/jitter.ts";
import { KeyMap } from "./key_map.ts";

interface Item {
  key: string;
  value: number;
}

const items = () => new KeyMap((item: Item) => item.key);

Deno.test("KeyMap: sets, replaces, gets and deletes", () => {
  const map = items();
  assert.equal(map.get("a"), undefined);
  assert.equal(map.delete("a"), undefined);
  map.set({ key: "a", value: 1 });
  map.set({ key: "a", value: 2 });
  assert.deepEqual([map.get("a")?.value, map.size], [2, 1]);
  map.set({ key: "", value: 3 });
  assert.equal(map.get("")?.value, 3);
  assert.deepEqual(map.delete("a"), { key: "a", value: 2 });
  assert.deepEqual([map.get("a"), map.size, map.keys()], [undefined, 1, [""]]);
});

Deno.test("KeyMap: keys of the same hash stay apart", () => {
  const [one, other, third] = ["key-901258", "key-1540052", "key-x"];
  assert.equal(fnv1a32(one), fnv1a32(other));
  const map = items();
  map.set({ key: one, value: 1 });
  assert.equal(map.get(other), undefined);
  assert.equal(map.delete(other), undefined);
  map.set({ key: other, value: 2 });
  map.set({ key: other, value: 3 });
  map.set({ key: third, value: 4 });
  assert.deepEqual([map.get(one)?.value, map.get(other)?.value], [1, 3]);
  assert.deepEqual([map.size, map.keys().sort()], [
    3,
    [one, other, third].sort(),
  ]);
  assert.equal(map.delete(one)?.value, 1);
  assert.deepEqual([map.get(one), map.get(other)?.value, map.size], [
    undefined,
    3,
    2,
  ]);
  map.set({ key: one, value: 5 });
  assert.equal(map.delete(other)?.value, 3);
  assert.deepEqual([map.get(one)?.value, map.size], [5, 2]);
});

Deno.test("KeyMap: agrees with a Map over many keys, sets and deletions", () => {
  let seed = 7;
  const random = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed % n;
  };
  const map = items();
  const expected = new Map<string, number>();
  for (let step = 0; step < 60_000; step++) {
    const key = `key-${random(20_000)}`;
    if (random(3) === 0) {
      assert.equal(map.delete(key)?.value, expected.get(key), key);
      expected.delete(key);
    } else {
      map.set({ key, value: step });
      expected.set(key, step);
    }
  }
  assert.equal(map.size, expected.size);
  assert.deepEqual(map.keys().sort(), [...expected.keys()].sort());
  for (const [key, value] of expected) assert.equal(map.get(key)?.value, value);
});
