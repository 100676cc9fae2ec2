import assert from "node:assert/strict";
import { NatsServer } from "../../tests/nats_server.ts";
import { Namespace } from "../nats/namespace.ts";
import { encodeTick } from "../wire/mod.ts";
import { storedTicks } from "./stored_ticks.ts";
import type { TickTrigger } from "../types.ts";

Deno.test("storedTicks finds the ticks of each range in the job stream, and only those", async () => {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  try {
    const namespace = await Namespace.open(nc, "beta");
    const { js, names } = namespace;
    const now = Math.floor(Date.now() / 1000) * 1000;
    const store = (key: string, at: number, trigger?: TickTrigger) =>
      js.publish(
        names.jobSubject(key, 0),
        encodeTick({
          namespace: "beta",
          key,
          index: 0,
          mode: "HTTP",
          spec: "* * * * * *",
          option: { url: "https://example.com" },
          scheduledAt: new Date(at),
          trigger,
        }),
      );
    const a = names.jobSubject("a", 0);
    const b = names.jobSubject("b", 0);
    // Long before: outside every range, and stamped before them.
    await store("a", now - 60_000);
    for (const at of [-5, -4, -2, 1]) await store("a", now + at * 1000);
    await store("b", now + 3000);
    await js.publish(a, new TextEncoder().encode("not a tick"));
    // A trigger's time is its own, and a backfill's may be any past one: stored before
    // late ticks of the spec, neither ends the read.
    await store("d", now + 10_000, "manual");
    await store("d", now - 2500, "manual");
    for (const at of [-3, -2]) await store("d", now + at * 1000);
    await store("d", now - 1000, "backfill");
    await store("d", now + 5000);
    await store("d", now - 4000, "backfill");
    // Late copies stored after a later tick (a stream leader that froze): found.
    for (const at of [2, -2, -1]) await store("e", now + at * 1000);
    const until = Date.now() + 60_000;
    const held = await storedTicks(namespace, [
      { subject: a, first: now - 5000, last: now - 1000, until },
      { subject: b, first: now - 3000, last: now, until },
      {
        subject: names.jobSubject("c", 0),
        first: now - 3000,
        last: now,
        until,
      },
      {
        subject: names.jobSubject("d", 0),
        first: now - 3000,
        last: now,
        until,
      },
      {
        subject: names.jobSubject("e", 0),
        first: now - 3000,
        last: now,
        until,
      },
      // Stamped after the latest a copy of the range could be: not read.
      { subject: a, first: now - 5000, last: now - 1000, until: now - 70_000 },
    ]);
    assert.deepEqual(held.map((set) => [...set].map((t) => (t - now) / 1000)), [
      [-5, -4, -2],
      [],
      [],
      [-3, -2, -1],
      [-2, -1],
      [],
    ]);
    assert.deepEqual(await storedTicks(namespace, []), []);
  } finally {
    await nc.close();
  }
});
