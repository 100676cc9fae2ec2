import assert from "node:assert/strict";
import { Registry } from "./prometheus.ts";
import { registerProcessMetrics } from "./process_metrics.ts";

/** The value of the sample `name` (without labels) in `text`. */
const sample = (text: string, name: string) =>
  Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);

Deno.test("registerProcessMetrics() exposes CPU, memory, start time and open descriptors", async () => {
  const registry = new Registry();
  registerProcessMetrics(registry);
  const first = registry.render();
  assert.match(first, /# TYPE process_cpu_seconds_total counter/);
  const rss = sample(first, "process_resident_memory_bytes");
  assert.ok(rss > 1_000_000, first);
  const start = sample(first, "process_start_time_seconds");
  assert.ok(Math.abs(start - Date.now() / 1000) < 3600, first);
  // Deno lists /proc/self/fd only with --allow-all: without it, no such metric.
  const open = sample(first, "process_open_fds");
  const listed = first.includes("# TYPE process_open_fds gauge");
  assert.equal(listed, !isNaN(open), first);
  if (listed) assert.ok(open > 0, first);

  const cpu = sample(first, "process_cpu_seconds_total");
  const busyUntil = performance.now() + 50;
  while (performance.now() < busyUntil) { /* spend CPU */ }
  using _file = await Deno.open(new URL(import.meta.url));
  const second = registry.render();
  assert.ok(sample(second, "process_cpu_seconds_total") > cpu, second);
  if (listed) {
    assert.equal(sample(second, "process_open_fds"), open + 1, second);
  }
});
