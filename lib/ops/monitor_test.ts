import assert from "node:assert/strict";
import { Metrics } from "./monitor.ts";
import type { RunRecord } from "../types.ts";

const run = (outcome: RunRecord["outcome"], key = "a"): RunRecord => ({
  key,
  index: 0,
  scheduledAt: new Date("2030-01-01T00:00:00Z"),
  attempt: 1,
  startedAt: new Date("2030-01-01T00:00:01Z"),
  durationMs: 500,
  outcome,
  worker: "w",
});

Deno.test("Metrics.runs() counts every outcome from zero and keeps each job's last success", () => {
  const metrics = new Metrics("worker", "0.1.0");
  const onRun = metrics.runs();
  const before = metrics.registry.render();
  for (const outcome of ["success", "retry", "failed"]) {
    assert.ok(
      before.includes(`schedule_runs_total{outcome="${outcome}"} 0`),
      before,
    );
  }
  assert.doesNotMatch(
    before,
    /^schedule_job_last_success_timestamp_seconds\{/m,
  );
  onRun(run("success"));
  onRun(run("failed", "b"));
  onRun(run("retry", "a"));
  const after = metrics.registry.render();
  assert.ok(after.includes('schedule_runs_total{outcome="success"} 1'), after);
  assert.ok(after.includes('schedule_runs_total{outcome="retry"} 1'), after);
  assert.ok(
    after.includes(
      'schedule_job_last_success_timestamp_seconds{key="a",index="0"} 1893456001.5',
    ),
    after,
  );
  assert.ok(!after.includes('key="b"'), "no series for a job without success");
});

Deno.test("Metrics.natsConnected() exposes the connection as 1 or 0", () => {
  const metrics = new Metrics("node", "0.1.0");
  let connected = false;
  metrics.natsConnected(() => connected);
  assert.match(metrics.registry.render(), /^schedule_nats_connected 0$/m);
  connected = true;
  assert.match(metrics.registry.render(), /^schedule_nats_connected 1$/m);
  assert.match(metrics.registry.render(), /^process_start_time_seconds \d+$/m);
});
