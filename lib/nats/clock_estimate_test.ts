import assert from "node:assert/strict";
import { ClockEstimate } from "./clock_estimate.ts";

Deno.test("the offset is the stamp minus the middle of the round trip, the error half of it", () => {
  const estimate = new ClockEstimate({ samples: 4, drift: 0 });
  assert.equal(estimate.at(0), null);
  assert.equal(estimate.known, false);
  estimate.add({ sent: 1000, received: 1010, server: 4005 });
  assert.equal(estimate.known, true);
  assert.deepEqual(estimate.at(1010), {
    earliest: 4005,
    estimate: 4010,
    error: 5,
  });
});

Deno.test("the earliest server time is never after the true one, wherever the stamp fell in the round trip", () => {
  const offset = 3000; // the server is 3 s ahead of the local clock
  for (const at of [0, 0.25, 0.5, 0.75, 1]) {
    const estimate = new ClockEstimate({ samples: 4, drift: 0 });
    const sent = 500, received = 540;
    estimate.add({ sent, received, server: sent + at * 40 + offset });
    const now = 10_000;
    const time = estimate.at(now)!;
    assert.ok(time.earliest <= now + offset, `stamp at ${at} of the trip`);
    assert.ok(time.estimate - time.error <= now + offset);
    assert.ok(time.estimate + time.error >= now + offset);
  }
});

Deno.test("earliest() is at()'s earliest, from the same sample, and NaN before one", () => {
  const estimate = new ClockEstimate({ samples: 4, drift: 5e-4 });
  assert.ok(Number.isNaN(estimate.earliest(0)));
  estimate.add({ sent: 0, received: 2, server: 1001 });
  estimate.add({ sent: 100, received: 160, server: 1150 });
  for (const now of [200, 20_000, 200_000]) {
    assert.equal(estimate.earliest(now), estimate.at(now)!.earliest);
  }
});

Deno.test("the sample with the shortest round trip wins over slower ones", () => {
  const estimate = new ClockEstimate({ samples: 4, drift: 0 });
  estimate.add({ sent: 0, received: 2, server: 1001 });
  estimate.add({ sent: 100, received: 160, server: 1150 }); // slow: ±30
  const time = estimate.at(200)!;
  assert.equal(time.error, 1);
  assert.equal(time.estimate, 1200);
});

Deno.test("drift widens an old sample's error until a fresher one is tighter", () => {
  const estimate = new ClockEstimate({ samples: 4, drift: 1e-3 });
  estimate.add({ sent: 0, received: 2, server: 1001 });
  assert.equal(estimate.at(2)!.error, 1);
  assert.equal(estimate.at(10_002)!.error, 11);
  estimate.add({ sent: 10_000, received: 10_010, server: 11_005 });
  assert.equal(estimate.at(10_010)!.error, 5);
});

Deno.test("only the last samples are kept", () => {
  const estimate = new ClockEstimate({ samples: 2, drift: 0 });
  estimate.add({ sent: 0, received: 1, server: 1000.5 }); // the best, then dropped
  estimate.add({ sent: 10, received: 14, server: 1012 });
  estimate.add({ sent: 20, received: 24, server: 1022 });
  assert.equal(estimate.at(30)!.error, 2);
});

Deno.test("a server clock stepped back drops the samples it contradicts", () => {
  const estimate = new ClockEstimate({ samples: 4, drift: 0 });
  estimate.add({ sent: 0, received: 2, server: 5001 }); // 5000 ahead
  estimate.add({ sent: 100, received: 110, server: 2105 }); // now 2000 ahead
  const time = estimate.at(200)!;
  assert.equal(time.estimate, 2200);
  assert.equal(time.error, 5);
});
