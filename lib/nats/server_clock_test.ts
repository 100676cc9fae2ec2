import assert from "node:assert/strict";
import { jetstream } from "@nats-io/jetstream";
import { NatsServer } from "../../tests/nats_server.ts";
import { recordingLogger, waitFor } from "../../tests/helpers.ts";
import { Namespace } from "./namespace.ts";
import { ServerClock } from "./server_clock.ts";
import { parseTimestamp } from "./timestamp.ts";

Deno.test("against a real server: a small offset, a small error, and nothing stamped before now()", async () => {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  const namespace = await Namespace.open(nc, "clock");
  const clock = await ServerClock.start({
    probe: () => namespace.serverTime(),
    log: recordingLogger(),
  });
  // The same machine: the server's clock is ours.
  assert.ok(Math.abs(clock.offset) < 50, `offset ${clock.offset}`);
  assert.ok(clock.error > 0 && clock.error < 50, `error ${clock.error}`);
  assert.equal(clock.skewed, false);
  const js = jetstream(nc);
  const subject = namespace.names.jobSubject("probe", 0);
  for (let i = 0; i < 50; i++) {
    const before = clock.now();
    const ack = await js.publish(subject, "x");
    const stored = await namespace.jsm.streams.getMessage(ack.stream, {
      seq: ack.seq,
    });
    const storedAt = parseTimestamp(stored!.timestamp);
    assert.ok(storedAt >= before, `stored at ${storedAt}, now() was ${before}`);
  }
  clock.stop();
  await nc.close();
});

Deno.test("crossing the bound is logged once each way, and the estimate survives failed probes", async () => {
  let shift = 0;
  let failing = false;
  let failures = 0;
  const log = recordingLogger();
  const clock = await ServerClock.start({
    probe: () =>
      failing && ++failures
        ? Promise.reject(new Error("no answer"))
        : Promise.resolve(Date.now() + shift),
    maxOffset: 1000,
    interval: 10,
    log,
  });
  const crossings = () =>
    log.lines.filter((line) => String(line.msg).includes("bound"));
  assert.equal(clock.skewed, false);
  shift = -3000; // this machine runs 3 s ahead
  await waitFor("the skew", () => clock.skewed);
  assert.ok(Math.abs(clock.offset + 3000) < 50);
  failing = true;
  await waitFor("failed probes", () => failures > 3);
  assert.ok(Math.abs(clock.offset + 3000) < 50, "the last estimate is kept");
  failing = false;
  shift = 0;
  await waitFor("back within the bound", () => !clock.skewed);
  clock.stop();
  assert.deepEqual(crossings().map((line) => line.level), ["warn", "info"]);
  const probing = log.lines.filter((line) =>
    String(line.msg).startsWith("probing") && line.level !== "debug"
  );
  assert.deepEqual(
    probing.map((line) => [line.level, line.msg]),
    [
      [
        "warn",
        "probing the server's clock failed; the estimate ages until a probe answers",
      ],
      ["info", "probing the server's clock works again"],
    ],
    "a run of failures: one warning, one line when it ends",
  );
  assert.ok(Number(probing[1].failures) > 3);
});
