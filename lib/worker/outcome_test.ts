import assert from "node:assert/strict";
import {
  cancelled,
  decideOutcome,
  exhausted,
  jobRetryPolicy,
  notRun,
} from "./outcome.ts";

const policy = { maxAttempts: 3, retryDelay: 100, maxRetryDelay: 250 };

Deno.test("exhausted: only once delivered more than maxAttempts times", () => {
  assert.equal(exhausted(1, 3), false);
  assert.equal(exhausted(3, 3), false);
  assert.equal(exhausted(4, 3), true);
});

Deno.test("no result (not run): failed and terminated, saying why", () => {
  const decided = decideOutcome(undefined, 4, policy);
  assert.deepEqual(decided, {
    outcome: "failed",
    result: {
      outcome: "failed",
      error: "delivered 4 times without an answer",
    },
    answer: { kind: "term", reason: "delivered 4 times without an answer" },
  });
});

Deno.test("success: acked, the result kept as it is", () => {
  const result = { outcome: "success" as const, status: 200, response: "ok" };
  const decided = decideOutcome(result, 3, policy);
  assert.equal(decided.outcome, "success");
  assert.equal(decided.result, result);
  assert.deepEqual(decided.answer, { kind: "ack" });
});

Deno.test("failed: terminated with the error, at any attempt", () => {
  for (const attempt of [1, 3]) {
    const result = {
      outcome: "failed" as const,
      status: 404,
      error: "HTTP 404",
    };
    const decided = decideOutcome(result, attempt, policy);
    assert.equal(decided.outcome, "failed");
    assert.equal(decided.result, result);
    assert.deepEqual(decided.answer, { kind: "term", reason: "HTTP 404" });
  }
});

Deno.test("failed without an error: terminated without a reason", () => {
  const decided = decideOutcome({ outcome: "failed" }, 1, policy);
  assert.deepEqual(decided.answer, { kind: "term", reason: undefined });
});

Deno.test("retry before the last attempt: nak after the backoff, doubling", () => {
  const result = { outcome: "retry" as const, error: "HTTP 503" };
  assert.deepEqual(decideOutcome(result, 1, policy), {
    outcome: "retry",
    result,
    answer: { kind: "nak", delay: 100 },
  });
  assert.deepEqual(
    decideOutcome(result, 2, policy).answer,
    { kind: "nak", delay: 200 },
  );
});

Deno.test("retry: the backoff is capped at maxRetryDelay", () => {
  const decided = decideOutcome(
    { outcome: "retry" },
    3,
    { ...policy, maxAttempts: 10 },
  );
  assert.deepEqual(decided.answer, { kind: "nak", delay: 250 });
});

Deno.test("retry: a longer retryAfter wins over the backoff, a shorter one does not", () => {
  const later = decideOutcome(
    { outcome: "retry", retryAfter: 240 },
    1,
    policy,
  );
  assert.deepEqual(later.answer, { kind: "nak", delay: 240 });
  const sooner = decideOutcome({ outcome: "retry", retryAfter: 10 }, 2, policy);
  assert.deepEqual(sooner.answer, { kind: "nak", delay: 200 });
});

Deno.test("retry: a retryAfter longer than the longest retry delay waits that delay", () => {
  for (const retryAfter of [172_800_000, 1e300, Infinity]) {
    const decided = decideOutcome({ outcome: "retry", retryAfter }, 1, policy);
    assert.deepEqual(decided.answer, {
      kind: "nak",
      delay: policy.maxRetryDelay,
    });
  }
  const unreadable = decideOutcome(
    { outcome: "retry", retryAfter: NaN },
    1,
    policy,
  );
  assert.deepEqual(unreadable.answer, { kind: "nak", delay: 100 });
});

Deno.test("retry on the last attempt: failed and terminated with the error", () => {
  const result = { outcome: "retry" as const, status: 503, error: "HTTP 503" };
  const decided = decideOutcome(result, 3, policy);
  assert.equal(decided.outcome, "failed");
  assert.equal(decided.result, result);
  assert.deepEqual(decided.answer, { kind: "term", reason: "HTTP 503" });
});

Deno.test("superseded: recorded as such and terminated with the reason, never retried", () => {
  const decided = notRun("superseded", "definition removed since revision 3");
  assert.equal(decided.outcome, "superseded");
  assert.equal(decided.result.error, "definition removed since revision 3");
  assert.deepEqual(decided.answer, {
    kind: "term",
    reason: "definition removed since revision 3",
  });
});

Deno.test("a skipped tick is terminated with its reason", () => {
  assert.deepEqual(notRun("skipped", "tick T is running on w1"), {
    outcome: "skipped",
    result: { outcome: "failed", error: "tick T is running on w1" },
    answer: { kind: "term", reason: "tick T is running on w1" },
  });
});

Deno.test("a cancelled run keeps its status and is terminated, whatever it returned", () => {
  const decided = cancelled(
    { outcome: "success", status: 200, response: "ok" },
    "cancelled for tick T",
  );
  assert.deepEqual(decided, {
    outcome: "cancelled",
    result: {
      outcome: "failed",
      status: 200,
      response: "ok",
      error: "cancelled for tick T",
    },
    answer: { kind: "term", reason: "cancelled for tick T" },
  });
});

Deno.test("a job's retry policy overrides the worker's, field by field", () => {
  const defaults = { maxAttempts: 5, retryDelay: 1000, maxRetryDelay: 300_000 };
  assert.equal(jobRetryPolicy(defaults, undefined), defaults);
  assert.deepEqual(jobRetryPolicy(defaults, {}), defaults);
  assert.deepEqual(
    jobRetryPolicy(defaults, {
      maxAttempts: 1,
      delay: "250ms",
      maxDelay: "1m",
    }),
    { maxAttempts: 1, retryDelay: 250, maxRetryDelay: 60_000 },
  );
  const job = jobRetryPolicy(defaults, { maxAttempts: 2, delay: "10s" });
  const once = decideOutcome({ outcome: "retry", error: "HTTP 503" }, 1, job);
  assert.deepEqual(once.answer, { kind: "nak", delay: 10_000 });
  const last = decideOutcome({ outcome: "retry", error: "HTTP 503" }, 2, job);
  assert.equal(
    last.outcome,
    "failed",
    "the job's maxAttempts, not the worker's",
  );
  const capped = jobRetryPolicy(defaults, { delay: "10s", maxDelay: "15s" });
  assert.deepEqual(
    decideOutcome({ outcome: "retry" }, 3, capped).answer,
    { kind: "nak", delay: 15_000 },
  );
});
