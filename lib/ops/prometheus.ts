/**
 * A minimal Prometheus text-format registry: counters, gauges and histograms, each with
 * optional labels.
 *
 * Written here because prom-client, the usual library, makes `deno compile` 2.9 abort
 * with a stack overflow (a Deno regression), and the executable is a must.
 *
 * @module
 */

/** Label names to values. */
export type Labels = Record<string, string>;

interface Metric {
  readonly name: string;
  render(): string[];
}

/**
 * Holds metrics and renders them in the Prometheus text format (version 0.0.4).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Counter, Registry } from "./prometheus.ts";
 *
 * const registry = new Registry();
 * const ticks = new Counter(registry, "ticks_total", "Ticks published.");
 * ticks.inc();
 * assert.equal(
 *   registry.render(),
 *   "# HELP ticks_total Ticks published.\n# TYPE ticks_total counter\nticks_total 1\n",
 * );
 * ```
 */
export class Registry {
  /** The `content-type` of {@link render}'s output. */
  readonly contentType = "text/plain; version=0.0.4; charset=utf-8";
  readonly #metrics = new Map<string, Metric>();

  /**
   * Adds a metric; the metric classes call this. A metric of a name registered already
   * replaces it, in its place: a service that starts again (after a failed start)
   * registers its metrics again, and a name rendered twice breaks the scrape.
   */
  register(metric: Metric): void {
    this.#metrics.set(metric.name, metric);
  }

  /** All metrics, as the text format. */
  render(): string {
    return [...this.#metrics.values()].flatMap((metric) => metric.render())
      .join("\n") + "\n";
  }
}

abstract class Family<V> implements Metric {
  protected readonly values = new Map<string, { labels: Labels; value: V }>();

  constructor(
    registry: Registry,
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "gauge" | "histogram",
  ) {
    registry.register(this);
  }

  render(): string[] {
    const lines = [
      `# HELP ${this.name} ${this.help}`,
      `# TYPE ${this.name} ${this.type}`,
    ];
    for (const { labels, value } of this.values.values()) {
      lines.push(...this.sample(labels, value));
    }
    return lines;
  }

  protected entry(
    labels: Labels,
    initial: () => V,
  ): { labels: Labels; value: V } {
    const id = JSON.stringify(labels);
    let entry = this.values.get(id);
    if (!entry) this.values.set(id, entry = { labels, value: initial() });
    return entry;
  }

  protected abstract sample(labels: Labels, value: V): string[];
}

/** A single number per label set: read from `read` at each render, or updated. */
abstract class Scalar extends Family<number> {
  constructor(
    registry: Registry,
    name: string,
    help: string,
    type: "counter" | "gauge",
    readonly read?: () => number,
  ) {
    super(registry, name, help, type);
  }

  override render(): string[] {
    if (this.read) this.entry({}, () => 0).value = this.read();
    return super.render();
  }

  protected sample(labels: Labels, value: number): string[] {
    return [`${this.name}${format(labels)} ${value}`];
  }
}

/**
 * A value that only goes up: incremented, or read from `read` at each render.
 *
 * @example
 * ```ts
 * import { Counter, Registry } from "./prometheus.ts";
 * const runs = new Counter(new Registry(), "runs_total", "Executions.");
 * runs.inc({ outcome: "success" });
 * ```
 */
export class Counter extends Scalar {
  constructor(
    registry: Registry,
    name: string,
    help: string,
    read?: () => number,
  ) {
    super(registry, name, help, "counter", read);
  }

  /** Adds `by` (default 1) to the series of `labels`. */
  inc(labels: Labels = {}, by = 1): void {
    this.entry(labels, () => 0).value += by;
  }
}

/**
 * A value read from `read` at each render, or set.
 *
 * @example
 * ```ts
 * import { Gauge, Registry } from "./prometheus.ts";
 * new Gauge(new Registry(), "jobs", "Jobs firing.", () => 3);
 * ```
 */
export class Gauge extends Scalar {
  constructor(
    registry: Registry,
    name: string,
    help: string,
    read?: () => number,
  ) {
    super(registry, name, help, "gauge", read);
  }

  /** Sets the series of `labels`. */
  set(value: number, labels: Labels = {}): void {
    this.entry(labels, () => 0).value = value;
  }
}

interface Buckets {
  counts: number[];
  sum: number;
  count: number;
}

/**
 * Observations counted into cumulative buckets.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Histogram, Registry } from "./prometheus.ts";
 * const registry = new Registry();
 * const lag = new Histogram(registry, "lag_seconds", "Lag.", [0.01, 0.1, 1]);
 * lag.observe(0.02);
 * const observe = lag.observer(); // the same series, found once
 * observe(0.5);
 * assert.match(registry.render(), /^lag_seconds_bucket\{le="0.1"\} 1$/m);
 * assert.match(registry.render(), /^lag_seconds_count 2$/m);
 * ```
 */
export class Histogram extends Family<Buckets> {
  constructor(
    registry: Registry,
    name: string,
    help: string,
    readonly buckets: number[],
  ) {
    super(registry, name, help, "histogram");
  }

  /** Counts `value` in the series of `labels`. */
  observe(value: number, labels: Labels = {}): void {
    this.#count(this.#series(labels), value);
  }

  /**
   * Counts each value it is called with in the series of `labels`, found once: for a hot
   * path (a node's every tick), where {@link observe} finds the series at each call.
   */
  observer(labels: Labels = {}): (value: number) => void {
    const series = this.#series(labels);
    return (value) => this.#count(series, value);
  }

  #series(labels: Labels): Buckets {
    return this.entry(
      labels,
      () => ({ counts: this.buckets.map(() => 0), sum: 0, count: 0 }),
    ).value;
  }

  #count(series: Buckets, value: number): void {
    const { buckets } = this;
    for (let i = 0; i < buckets.length; i++) {
      if (value <= buckets[i]) series.counts[i]++;
    }
    series.sum += value;
    series.count++;
  }

  protected sample(labels: Labels, value: Buckets): string[] {
    return [
      ...this.buckets.map((bound, i) =>
        `${this.name}_bucket${format({ ...labels, le: String(bound) })} ${
          value.counts[i]
        }`
      ),
      `${this.name}_bucket${format({ ...labels, le: "+Inf" })} ${value.count}`,
      `${this.name}_sum${format(labels)} ${value.sum}`,
      `${this.name}_count${format(labels)} ${value.count}`,
    ];
  }
}

function format(labels: Labels): string {
  const pairs = Object.entries(labels).map(([name, value]) =>
    `${name}="${
      value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll(
        "\n",
        "\\n",
      )
    }"`
  );
  return pairs.length ? `{${pairs.join(",")}}` : "";
}
