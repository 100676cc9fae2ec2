import assert from "node:assert/strict";
import {
  type AdmissionRequest,
  admit,
  cancelledBy,
  decodeRunState,
  encodeRunState,
  ENDED_KEPT,
  heartbeat,
  type JobRunState,
  settle,
} from "./run_state.ts";

const t = (second: number) =>
  new Date(Date.UTC(2030, 0, 1, 0, 0, second)).toISOString();
const now = Date.parse(t(10));
const running = (second: number, worker = "w1", beat = t(9)) => ({
  scheduledAt: t(second),
  worker,
  startedAt: t(second),
  heartbeatAt: beat,
});
const ask = (
  second: number,
  overlap: AdmissionRequest["overlap"],
  worker = "w2",
): AdmissionRequest => ({
  scheduledAt: t(second),
  worker,
  now,
  staleAfter: 5000,
  overlap,
});

Deno.test("a free job, a stale lock or the same tick redelivered: run, taking the lock", () => {
  for (
    const state of [
      {},
      { running: running(1, "w1", t(4)) }, // heartbeat 6 s old, stale after 5 s
      { running: running(3, "w2") }, // the tick itself: its worker restarted
    ] as JobRunState[]
  ) {
    const { admission, next } = admit(state, ask(3, "skip"));
    assert.deepEqual(admission, { kind: "run" });
    assert.deepEqual(next?.running, {
      scheduledAt: t(3),
      worker: "w2",
      startedAt: t(10),
      heartbeatAt: t(10),
    });
  }
});

Deno.test("a copy of the running tick on another worker waits, whatever the policy", () => {
  for (const overlap of ["skip", "buffer", "cancel"] as const) {
    assert.deepEqual(admit({ running: running(3) }, ask(3, overlap)), {
      admission: {
        kind: "wait",
        reason: `tick ${t(3)} is running on worker w1`,
      },
      next: null,
    });
  }
});

Deno.test("skip: a live run elsewhere skips the tick, saying which and where", () => {
  assert.deepEqual(admit({ running: running(1) }, ask(2, "skip")), {
    admission: {
      kind: "skip",
      reason: `tick ${t(1)} is running on worker w1`,
    },
    next: null,
  });
});

Deno.test("buffer: one tick pending; a further one skipped; the pending one runs and leaves the slot", () => {
  const first = admit({ running: running(1) }, ask(2, "buffer"));
  assert.equal(first.admission.kind, "wait");
  assert.deepEqual(first.next?.pending, {
    scheduledAt: t(2),
    worker: "w2",
    heartbeatAt: t(10),
  });
  const again = admit(first.next!, ask(2, "buffer"));
  assert.equal(again.admission.kind, "wait");
  assert.equal(
    again.next,
    null,
    "nothing to write while the heartbeat is fresh",
  );
  const later = admit(first.next!, { ...ask(2, "buffer"), now: now + 2000 });
  assert.equal(
    later.next?.pending?.heartbeatAt,
    new Date(now + 2000).toISOString(),
    "refreshed after a quarter of the ack wait",
  );
  const third = admit(first.next!, ask(3, "buffer", "w3"));
  assert.equal(third.admission.kind, "skip");
  assert.match(
    (third.admission as { reason: string }).reason,
    /already waiting on worker w2/,
  );
  const released = settle(
    first.next!,
    { scheduledAt: t(1), worker: "w1" },
    "success",
    undefined,
  );
  const runs = admit(released.next!, ask(2, "buffer"));
  assert.equal(runs.admission.kind, "run");
  assert.equal(runs.next?.pending, undefined);
});

Deno.test("buffer: a pending tick whose worker stopped asking goes stale and is replaced", () => {
  const gone = {
    running: running(1),
    pending: { scheduledAt: t(2), worker: "w2", heartbeatAt: t(4) }, // 6 s old
  };
  const taken = admit(gone, ask(3, "buffer", "w3"));
  assert.equal(taken.admission.kind, "wait");
  assert.deepEqual(taken.next?.pending, {
    scheduledAt: t(3),
    worker: "w3",
    heartbeatAt: t(10),
  });
  const unknown = {
    running: running(1),
    pending: { scheduledAt: t(2), worker: "w2" },
  };
  assert.equal(
    admit(unknown, ask(3, "buffer", "w3")).admission.kind,
    "wait",
    "a pending tick with no heartbeat (an older worker's) is taken for stale",
  );
});

Deno.test("cancel: asks the running tick to stop, once; an older tick never cancels a newer one", () => {
  const asked = admit({ running: running(1) }, ask(2, "cancel"));
  assert.equal(asked.admission.kind, "wait");
  assert.deepEqual(asked.next?.cancel, { scheduledAt: t(1), worker: "w2" });
  assert.equal(admit(asked.next!, ask(2, "cancel")).next, null);
  const claim = { scheduledAt: t(1), worker: "w1" };
  assert.equal(cancelledBy(asked.next!, claim), "w2");
  const older = admit({ running: running(5) }, ask(2, "cancel"));
  assert.equal(older.admission.kind, "skip");
  const released = settle(asked.next!, claim, "cancelled", undefined).next!;
  assert.deepEqual(
    released,
    { ended: [t(1)] },
    "the release clears the request",
  );
});

Deno.test("ended: a tick that ran to its end is remembered, and a copy of it delivered again does not run", () => {
  let state: JobRunState = {};
  for (let second = 1; second <= 10; second++) {
    const taken = admit(state, ask(second, "skip", "w1"));
    assert.equal(taken.admission.kind, "run");
    const claim = { scheduledAt: t(second), worker: "w1" };
    const outcome = second === 2 ? "retry" : "success";
    state = settle(taken.next!, claim, outcome, undefined).next!;
  }
  assert.equal(state.ended?.length, ENDED_KEPT);
  assert.equal(state.ended?.[0], t(10), "newest first");
  assert.ok(!state.ended?.includes(t(2)), "a retry is not the end of its tick");
  for (const worker of ["w1", "w2"]) {
    assert.deepEqual(admit(state, ask(9, "buffer", worker)), {
      admission: { kind: "ran", reason: `tick ${t(9)} already ran to its end` },
      next: null,
    });
  }
  assert.equal(admit(state, ask(2, "skip")).admission.kind, "run");
  assert.equal(
    admit(state, { ...ask(9, "skip"), trigger: "backfill" }).admission.kind,
    "run",
    "a backfill of a tick that ran is another tick",
  );
  assert.equal(admit(state, ask(1, "skip")).admission.kind, "run", "forgotten");
  assert.deepEqual(
    decodeRunState(new TextEncoder().encode('{"ended":[1]}')),
    {},
    "an ended list of the wrong shape is absent",
  );
});

Deno.test("heartbeat: only while the claim holds the job", () => {
  const claim = { scheduledAt: t(1), worker: "w1" };
  assert.equal(
    heartbeat({ running: running(1) }, claim, now)?.running?.heartbeatAt,
    t(10),
  );
  assert.equal(heartbeat({ running: running(1, "w9") }, claim, now), null);
});

Deno.test("settle: failures counted, reset by a success, pause at N and count again", () => {
  let state: JobRunState = {};
  const outcomes = [
    "failed",
    "failed",
    "success",
    "failed",
    "failed",
    "failed",
  ] as const;
  const pauses: boolean[] = [];
  for (const outcome of outcomes) {
    const settled = settle(state, undefined, outcome, 3);
    pauses.push(settled.pause);
    state = settled.next ?? state;
  }
  assert.deepEqual(pauses, [false, false, false, false, false, true]);
  assert.deepEqual(state, {});
  assert.equal(settle({ failures: 2 }, undefined, "retry", 3).next, null);
  assert.equal(
    settle({}, undefined, "failed", undefined).next,
    null,
    "not counted without the policy",
  );
});

Deno.test("settle: failures are counted per definition revision; a replaced definition starts again", () => {
  const first = settle({}, undefined, "failed", 2, 4);
  assert.deepEqual(first, {
    next: { failures: 1, failuresOf: 4 },
    failures: 1,
    pause: false,
  });
  const replaced = settle(first.next!, undefined, "failed", 2, 7);
  assert.deepEqual(replaced, {
    next: { failures: 1, failuresOf: 7 },
    failures: 1,
    pause: false,
  }, "revision 7's first failure, not the second in a row");
  assert.equal(
    settle(replaced.next!, undefined, "failed", 2, 7).pause,
    true,
  );
  assert.equal(
    settle(replaced.next!, undefined, "retry", 2, 4).next,
    null,
    "an attempt that is not the end of its tick changes nothing",
  );
  for (const outcome of ["failed", "success"] as const) {
    assert.deepEqual(
      settle(replaced.next!, undefined, outcome, 2, 4),
      { next: null, failures: 1, pause: false },
      `a tick of the replaced revision ending ${outcome} leaves revision 7's count`,
    );
  }
});

Deno.test("settle: a tick giving up its wait leaves the pending slot; a taken-over lock is left alone", () => {
  const claim = { scheduledAt: t(2), worker: "w2" };
  assert.deepEqual(
    settle({ running: running(1), pending: claim }, claim, "gave up", undefined)
      .next,
    { running: running(1) },
  );
  assert.equal(
    settle(
      { running: running(1, "w9") },
      { scheduledAt: t(1), worker: "w1" },
      "success",
      undefined,
    ).next,
    null,
  );
});

Deno.test("a state written by someone else: fields of the wrong shape are absent, a heartbeat not a time is stale", () => {
  const decode = (state: unknown) =>
    decodeRunState(new TextEncoder().encode(JSON.stringify(state)));
  assert.deepEqual(
    decode({
      running: null,
      pending: { scheduledAt: 5 },
      cancel: "x",
      failures: -1,
      failuresOf: "7",
      later: { kept: true },
    }),
    { later: { kept: true } },
  );
  assert.equal(
    admit(decode({ running: null }), ask(2, "skip")).admission.kind,
    "run",
  );
  for (const beat of ["soon", ""]) {
    const state = decode({ running: running(1, "ghost", beat) });
    assert.equal(admit(state, ask(2, "skip")).admission.kind, "run", beat);
    assert.equal(
      admit(
        { running: running(1), pending: { ...running(2, "ghost", beat) } },
        ask(3, "buffer"),
      )
        .admission.kind,
      "wait",
      `a pending tick with heartbeat "${beat}" is replaced`,
    );
  }
});

Deno.test("the codec reads what it writes and refuses what is not a state", () => {
  const state = { running: running(1), failures: 2 };
  assert.deepEqual(decodeRunState(encodeRunState(state)), state);
  assert.throws(
    () => decodeRunState(new TextEncoder().encode("[]")),
    /run state/,
  );
});
