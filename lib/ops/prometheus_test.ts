import assert from "node:assert/strict";
import { Counter, Gauge, Histogram, Registry } from "./prometheus.ts";

Deno.test("Registry.render() writes counters, gauges and histograms in the Prometheus text format", () => {
  const registry = new Registry();
  new Counter(registry, "a_total", "A.", () => 3);
  const runs = new Counter(registry, "runs_total", "Runs.");
  runs.inc({ outcome: 'say "hi"' });
  new Gauge(registry, "g", "G.").set(1, { role: "node" });
  const lag = new Histogram(registry, "lag_seconds", "Lag.", [0.1, 1]);
  lag.observe(0.5);
  lag.observe(2);
  assert.equal(
    registry.render(),
    [
      "# HELP a_total A.",
      "# TYPE a_total counter",
      "a_total 3",
      "# HELP runs_total Runs.",
      "# TYPE runs_total counter",
      'runs_total{outcome="say \\"hi\\""} 1',
      "# HELP g G.",
      "# TYPE g gauge",
      'g{role="node"} 1',
      "# HELP lag_seconds Lag.",
      "# TYPE lag_seconds histogram",
      'lag_seconds_bucket{le="0.1"} 0',
      'lag_seconds_bucket{le="1"} 1',
      'lag_seconds_bucket{le="+Inf"} 2',
      "lag_seconds_sum 2.5",
      "lag_seconds_count 2",
      "",
    ].join("\n"),
  );
});

Deno.test("a metric registered again under its name replaces the first: each name renders once", () => {
  const registry = new Registry();
  new Counter(registry, "a_total", "First.", () => 1);
  new Gauge(registry, "b", "Between.", () => 2);
  new Counter(registry, "a_total", "Again.", () => 3);
  assert.equal(
    registry.render(),
    "# HELP a_total Again.\n# TYPE a_total counter\na_total 3\n" +
      "# HELP b Between.\n# TYPE b gauge\nb 2\n",
  );
});
