import assert from "node:assert/strict";
import { NatsServer } from "../../tests/nats_server.ts";
import { waitFor } from "../../tests/helpers.ts";
import { type BucketEntry, followBucket, readBucket } from "./bucket_read.ts";
import { Namespace } from "./namespace.ts";

const text = new TextDecoder();

async function opened(server: NatsServer) {
  const nc = await server.connect();
  const namespace = await Namespace.open(nc, "read");
  const { js, jsm, kv, names: { bucket } } = namespace;
  const where = { stream: `KV_${bucket}`, prefix: `$KV.${bucket}.` };
  return { nc, kv, client: { nc, js, jsm }, where };
}

Deno.test("readBucket reads the last entry of each key in revision order, deletions and purges with their operation", async () => {
  await using server = await NatsServer.start();
  const { nc, kv, client, where } = await opened(server);
  const before = Date.now();
  await kv.put("a", "1");
  await kv.put("b", "2");
  await kv.put("a", "3");
  await kv.delete("b");
  await kv.put("c", "4");
  await kv.put("d", "5");
  await kv.purge("d");
  const after = Date.now();
  const read: BucketEntry[] = [];
  const last = await readBucket(client, where, (entry) => read.push(entry));
  assert.deepEqual(
    read.map(({ key, revision, operation, value }) => [
      key,
      revision,
      operation,
      text.decode(value),
    ]),
    [
      ["a", 3, "PUT", "3"],
      ["b", 4, "DEL", ""],
      ["c", 5, "PUT", "4"],
      ["d", 7, "PURGE", ""],
    ],
  );
  assert.equal(last, 7);
  for (const { created } of read) {
    assert.ok(created >= before - 1 && created <= after + 1, `${created}`);
  }
  // Followed from the first revision read (the purge removed d's put), the bucket gives
  // the same entries.
  const watched: BucketEntry[] = [];
  const following = new AbortController();
  const ended = followBucket(
    client,
    { ...where, signal: following.signal },
    read[0].revision,
    (entry) => {
      watched.push(entry);
      if (watched.length === read.length) following.abort();
    },
  );
  await ended;
  assert.deepEqual(
    watched.map(({ created: _, ...rest }) => rest),
    read.map(({ created: _, ...rest }) => rest),
  );
  watched.forEach(({ created }, i) =>
    assert.ok(Math.abs(created - read[i].created) <= 1)
  );
  await nc.close();
});

Deno.test("readBucket reads across batches, asking for more as it goes; an empty bucket reads nothing", async () => {
  await using server = await NatsServer.start();
  const { nc, kv, client, where } = await opened(server);
  assert.equal(await readBucket(client, where, () => assert.fail()), 0);
  for (let i = 0; i < 25; i++) await kv.put(`k${i}`, `${i}`);
  const keys: string[] = [];
  const last = await readBucket(client, { ...where, batch: 4 }, (entry) => {
    keys.push(entry.key);
  });
  assert.equal(last, 25);
  assert.deepEqual(keys, Array.from({ length: 25 }, (_, i) => `k${i}`));
  await nc.close();
});

Deno.test("readBucket rejects with the error of `each`, when aborted, and when its consumer is deleted", async () => {
  await using server = await NatsServer.start();
  const { nc, kv, client, where } = await opened(server);
  await Promise.all(
    Array.from({ length: 2000 }, (_, i) => kv.put(`k${i}`, `${i}`)),
  );
  await assert.rejects(
    readBucket(client, where, () => {
      throw new RangeError("refused");
    }),
    RangeError,
  );
  const aborting = new AbortController();
  await assert.rejects(
    readBucket(client, { ...where, batch: 1, signal: aborting.signal }, () => {
      aborting.abort(new Error("stopped"));
    }),
    /stopped/,
  );
  // A pull the server takes as the consumer goes may get no answer: it is asked again
  // after `idle`, and then refused.
  let deleting: Promise<unknown> | undefined;
  await assert.rejects(
    readBucket(client, { ...where, batch: 1, idle: 500 }, () => {
      deleting ??= (async () => {
        for await (const { name } of client.jsm.consumers.list(where.stream)) {
          await client.jsm.consumers.delete(where.stream, name);
        }
      })();
    }),
    /the read ended: (409|503)/,
  );
  await deleting;
  await nc.close();
});

Deno.test("followBucket gives every revision from the one asked, and goes on past its consumer deleted", async () => {
  await using server = await NatsServer.start();
  const { nc, kv, client, where } = await opened(server);
  await kv.put("a", "1");
  await kv.put("b", "2");
  const seen: string[] = [];
  const following = new AbortController();
  const ended = followBucket(
    client,
    { ...where, idle: 1000, signal: following.signal },
    2,
    (entry) => seen.push(`${entry.key}@${entry.revision}`),
  );
  await kv.put("c", "3");
  await waitFor("c followed", () => seen.includes("c@3"));
  const deleted = performance.now();
  for await (const { name } of client.jsm.consumers.list(where.stream)) {
    await client.jsm.consumers.delete(where.stream, name);
  }
  await kv.put("d", "4");
  await kv.delete("a");
  await waitFor("the entries after the deletion", () => seen.length === 4);
  assert.deepEqual(seen, ["b@2", "c@3", "d@4", "a@5"]);
  assert.ok(
    performance.now() - deleted < 3000,
    "within a few idle periods, not the KV watch's minute",
  );
  following.abort();
  await ended;
  await nc.close();
});

Deno.test("followBucket ends with an error when its stream is gone", async () => {
  await using server = await NatsServer.start();
  const { nc, client, where } = await opened(server);
  const ended = followBucket(
    client,
    { ...where, idle: 1000 },
    1,
    () => {},
  );
  await client.jsm.streams.delete(where.stream);
  await assert.rejects(ended, /stream not found/);
  await nc.close();
});

Deno.test("followBucket retries a consumer it cannot create, saying so, and ends with the error of `each`", async () => {
  await using server = await NatsServer.start();
  const { nc, kv, client, where } = await opened(server);
  // The server refuses consumers while `refusing` (as while JetStream elects a leader).
  let refusing = false;
  const { consumers } = client.jsm;
  const jsm = {
    ...client.jsm,
    consumers: {
      ...consumers,
      add: (...args: Parameters<typeof consumers.add>) =>
        refusing
          ? Promise.reject(
            new Error("JetStream system temporarily unavailable"),
          )
          : consumers.add(...args),
    },
  } as typeof client.jsm;
  const retries: string[] = [];
  const seen: string[] = [];
  const ended = followBucket(
    { ...client, jsm },
    {
      ...where,
      idle: 1000,
      retrying: (error) => retries.push(error.message),
    },
    1,
    (entry) => {
      if (entry.key === "bad") throw new Error("each failed");
      seen.push(entry.key);
    },
  );
  await kv.put("a", "1");
  await waitFor("a followed", () => seen.includes("a"));
  refusing = true;
  for await (const { name } of consumers.list(where.stream)) {
    await consumers.delete(where.stream, name);
  }
  await kv.put("b", "2");
  await waitFor("a retry told", () => retries.length > 1);
  assert.match(retries[0], /temporarily unavailable/);
  refusing = false;
  await waitFor(
    "b followed once the consumer is made",
    () => seen.includes("b"),
  );
  assert.deepEqual(seen, ["a", "b"]);
  await kv.put("bad", "3");
  await assert.rejects(ended, /each failed/);
  await nc.close();
});
