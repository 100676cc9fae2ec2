/**
 * What the benchmark modes share: node processes, fast bucket writes, reading a stream
 * back, CPU and RSS from /proc, percentiles.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/nats-core";
import {
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import { ensureNatsServer } from "../../lib/dev/binary.ts";
import { encodeDefinition } from "../../lib/wire/mod.ts";
import { HttpJob } from "../../lib/jobs/http/job.ts";
import { Namespace } from "../../lib/nats/namespace.ts";
import { NamespaceNames } from "../../lib/nats/names.ts";
import { StreamSender } from "../../lib/nats/stream_sender.ts";
import type { NatsServer } from "../nats_server.ts";

export const NAMESPACE = "bench";
export const SECOND = 1000;
const serverTs = new URL("../../server.ts", import.meta.url).pathname;

/** Resolves after `ms` (at once when `ms` is past). */
export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** The start of the whole second holding `t`. */
export const wholeSecond = (t: number): number =>
  Math.floor(t / SECOND) * SECOND;

/** Polls `condition` every 100 ms until it holds or `deadline` (epoch ms) passes. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  deadline: number,
): Promise<boolean> {
  while (!(await condition())) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/** CPU seconds (user + system) and peak RSS (MB) of process `pid`, from /proc. */
export async function usageOf(
  pid: number,
): Promise<{ cpu: number; rss: number }> {
  const stat = (await Deno.readTextFile(`/proc/${pid}/stat`))
    .split(") ")[1]
    .split(" ");
  const cpu = (Number(stat[11]) + Number(stat[12])) / 100;
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const rss = Number(/VmHWM:\s+(\d+)/.exec(status)![1]) / 1024;
  return { cpu, rss };
}

/** The pid of the nats-server of `server` (found by its store directory in /proc). */
export async function serverPid(server: NatsServer): Promise<number> {
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`);
      if (cmdline.split("\0").includes(server.storeDir)) {
        return Number(entry.name);
      }
    } catch { /* gone, or not ours */ }
  }
  throw new Error(`no nats-server process with store ${server.storeDir}`);
}

/** The server's version as numbers, `[2, 15, 1]`. */
export function serverVersion(nc: NatsConnection): number[] {
  return (nc.info?.version ?? "0.0.0").split(/[.-]/).slice(0, 3).map(Number);
}

/** True when `version` is at least `major.minor`. */
export const atLeast = (version: number[], major: number, minor: number) =>
  version[0] > major || (version[0] === major && version[1] >= minor);

/**
 * Gives nats-server CPU 0 and the other CPUs to this process and every process it starts
 * (nodes, senders, collectors): each server the bench starts from now on runs under
 * `taskset -c 0`, so Go sizes its scheduler to that CPU, as it would on a machine of its
 * own. Needs `taskset` (util-linux) and at least two CPUs.
 */
export async function splitCores(): Promise<string> {
  const cpus = navigator.hardwareConcurrency;
  if (cpus < 2) throw new Error("--split-cores needs at least two CPUs");
  const others = Array.from({ length: cpus - 1 }, (_, i) => i + 1).join(",");
  const pin = await new Deno.Command("taskset", {
    args: ["-a", "-p", "-c", others, String(Deno.pid)],
    stdout: "null",
  }).output();
  if (!pin.success) throw new Error("taskset could not pin the bench");
  const binary = await ensureNatsServer();
  const wrapper = await Deno.makeTempFile({ prefix: "nats-server-pinned-" });
  await Deno.writeTextFile(
    wrapper,
    `#!/bin/sh\nexec taskset -c 0 '${binary}' "$@"\n`,
  );
  await Deno.chmod(wrapper, 0o755);
  // An error that ends the bench does so without `unload`: removed at the first of these.
  const events = ["unload", "error", "unhandledrejection"];
  const remove = () => {
    for (const event of events) globalThis.removeEventListener(event, remove);
    Deno.removeSync(wrapper);
  };
  for (const event of events) globalThis.addEventListener(event, remove);
  Deno.env.set("NATS_SERVER_BIN", wrapper);
  return `nats-server on CPU 0, the bench, nodes and senders on CPU ${others}`;
}

/** `deno run` with what a node (and the bench's other processes) may do: net, read, env. */
export const DENO_RUN = ["run", "--allow-net", "--allow-read", "--allow-env"];

/** The value of `series` (a name, with its labels if any) in the `/metrics` `text`; NaN without it. */
function metric(text: string, series: string): number {
  const escaped = series.replace(/[{}]/g, "\\$&");
  const match = new RegExp(`^${escaped} (\\S+)$`, "m").exec(text);
  return match ? Number(match[1]) : NaN;
}

/**
 * A process of `server.ts` (a node unless `args` say otherwise), its stderr watched; with
 * `BENCH_LOGS=<dir>` in the environment, its log is kept there when it stops.
 */
export class NodeProcess {
  readonly #child: Deno.ChildProcess;
  readonly #seen = new Map<string, () => void>();
  readonly started = performance.now();
  #log = "";

  constructor(
    server: NatsServer,
    env: Record<string, string> = {},
    args: string[] = [],
  ) {
    const child = new Deno.Command(Deno.execPath(), {
      args: [...DENO_RUN, serverTs, ...args],
      env: {
        SCHEDULE_NAMESPACE: NAMESPACE,
        SCHEDULE_NATS_HOSTS: server.url,
        SCHEDULE_LOG_LEVEL: "info",
        SCHEDULE_HTTP_PORT: "0",
        ...env,
      },
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    (async () => {
      for await (
        const chunk of child.stderr.pipeThrough(new TextDecoderStream())
      ) {
        this.#log += chunk;
        for (const [text, resolve] of this.#seen) {
          if (this.#log.includes(text)) {
            this.#seen.delete(text);
            resolve();
          }
        }
      }
    })();
  }

  get pid(): number {
    return this.#child.pid;
  }

  /**
   * Resolves when the process has logged `message`; with `fields`, a line whose fields
   * start with them (`,"key":"a",` is a line whose first field is `key`, `a`).
   */
  logged(message: string, fields = ""): Promise<void> {
    const text = `"msg":"${message}"${fields}`;
    if (this.#log.includes(text)) return Promise.resolve();
    return new Promise((resolve) => this.#seen.set(text, resolve));
  }

  /** Field `name` of its first line with `message`; `undefined` without one. */
  field(message: string, name: string): unknown {
    const line = this.#log.split("\n").find((l) =>
      l.includes(`"msg":"${message}"`)
    );
    return line === undefined ? undefined : JSON.parse(line)[name];
  }

  /** CPU seconds and peak RSS in MB. */
  usage(): Promise<{ cpu: number; rss: number }> {
    return usageOf(this.#child.pid);
  }

  /** The text of its `/metrics` (on loopback). */
  async metrics(): Promise<string> {
    await this.logged("serving health and metrics");
    const port = /"msg":"serving health and metrics".*?"port":(\d+)/.exec(
      this.#log,
    )![1];
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    return await response.text();
  }

  /** The value of an unlabelled gauge or counter of its `/metrics`. */
  async gauge(name: string): Promise<number> {
    return metric(await this.metrics(), name);
  }

  /**
   * Waits until the ticks it stored over the last second were all stored within a second
   * of their scheduled time (its `schedule_firing_lag_seconds`): it has sent the ticks
   * that came due while it loaded. `false` if not by `deadline`.
   */
  async onTime(deadline: number): Promise<boolean> {
    const read = async () => {
      const text = await this.metrics();
      // None yet before its first tick stored.
      return {
        all: metric(text, "schedule_firing_lag_seconds_count") || 0,
        within: metric(text, 'schedule_firing_lag_seconds_bucket{le="1"}') || 0,
      };
    };
    let before = await read();
    return await until(async () => {
      await sleep(SECOND);
      const now = await read();
      const stored = now.all - before.all;
      const late = stored - (now.within - before.within);
      before = now;
      return stored > 0 && late === 0;
    }, deadline);
  }

  async stop(): Promise<void> {
    this.#child.kill("SIGTERM");
    await this.#child.status;
    const dir = Deno.env.get("BENCH_LOGS");
    if (dir) {
      await Deno.writeTextFile(`${dir}/node-${this.#child.pid}.log`, this.#log);
    }
  }

  get missedLines(): number {
    return this.#log.split("\n").filter((line) =>
      line.includes('"tick missed"')
    ).length;
  }

  /** Ticks this node stored first, from its "stopped" line (after {@link stop}). */
  get stored(): number {
    return Number(
      /"msg":"stopped".*"published":(\d+)/.exec(this.#log)?.[1] ?? NaN,
    );
  }
}

/**
 * Runs `put(i)` for i in [0, count) with at most `window` in flight; the puts are
 * asynchronous and pipelined (no batch waits for its slowest member).
 */
export async function pipelined(
  count: number,
  put: (i: number) => Promise<unknown>,
  window = 4096,
): Promise<void> {
  let inflight = 0;
  let wake: (() => void) | undefined;
  let failure: unknown;
  for (let i = 0; i < count; i++) {
    while (inflight >= window) {
      await new Promise<void>((resolve) => wake = resolve);
    }
    if (failure) throw failure;
    inflight++;
    put(i).then(
      () => {},
      (err) => failure ??= err,
    ).finally(() => {
      inflight--;
      wake?.();
    });
  }
  while (inflight > 0) await new Promise<void>((resolve) => wake = resolve);
  if (failure) throw failure;
}

/** A job: its spec and, when not UTC, its zone. */
export interface SpecOf {
  spec: string;
  tz?: string;
}

/**
 * Writes `count` definitions `job-<i>` (one HTTP job each, to a closed loopback port)
 * into the namespace's bucket, pipelined; identical definitions are encoded once.
 * Resolves with the seconds it took.
 */
export async function writeDefinitions(
  nc: NatsConnection,
  count: number,
  specOf: (i: number) => SpecOf | string,
  url = "http://127.0.0.1:9/hook",
): Promise<number> {
  const started = performance.now();
  const { names } = await Namespace.open(nc, NAMESPACE);
  // Straight to the bucket's stream through one inbox (the node's sender): about five
  // times the rate of awaiting kv.put, with the same stored messages (no headers).
  const sender = new StreamSender(nc, `KV_${names.bucket}`, 60 * SECOND);
  const option = { url };
  const anchor = new Date(wholeSecond(Date.now()));
  const encoded = new Map<string, Uint8Array>();
  await pipelined(count, (i) => {
    const job = specOf(i);
    const { spec, tz } = typeof job === "string" ? { spec: job } : job;
    const id = `${spec}|${tz ?? ""}`;
    let bytes = encoded.get(id);
    if (!bytes) {
      bytes = encodeDefinition({
        jobs: [HttpJob(spec, option, tz)],
        anchor,
        paused: false,
      }).bytes;
      encoded.set(id, bytes);
    }
    return sender.publish(`$KV.${names.bucket}.job-${i}`, bytes);
  }).finally(() => sender.close());
  return (performance.now() - started) / SECOND;
}

/**
 * Reads `stream` (only `filter` when given) from its start up to the last message it held
 * when called, calling `each` on every message; bounded by the stream's last sequence.
 */
export async function readStream(
  nc: NatsConnection,
  stream: string,
  each: (m: JsMsg) => void,
  filter?: string,
): Promise<void> {
  const js = jetstream(nc);
  const { state } = await (await jetstreamManager(nc)).streams.info(stream);
  if (state.messages === 0) return;
  const last = state.last_seq;
  const consumer = await js.consumers.get(stream, {
    deliver_policy: DeliverPolicy.All,
    ...(filter ? { filter_subjects: [filter] } : {}),
  });
  const messages = await consumer.consume();
  // Stop should nothing come for 5 s (a filter matching none of the last messages).
  let idle = setTimeout(() => messages.stop(), 5 * SECOND);
  try {
    for await (const m of messages) {
      clearTimeout(idle);
      each(m);
      if (m.seq >= last || m.info.pending === 0) break;
      idle = setTimeout(() => messages.stop(), 5 * SECOND);
    }
  } finally {
    clearTimeout(idle);
    messages.stop();
  }
}

/** A firing: one schedule at one scheduled time, stored at `storedAt`. */
export interface Fire {
  key: string;
  scheduledAt: number;
  storedAt: number;
}

/** The ticks of the namespace's job stream. */
export async function readTicks(nc: NatsConnection): Promise<Fire[]> {
  const names = new NamespaceNames(NAMESPACE);
  const ticks: Fire[] = [];
  await readStream(nc, names.jobStream, (m) => {
    const { key, scheduledAt } = m.json<{ key: string; scheduledAt: string }>();
    ticks.push({
      key,
      scheduledAt: Date.parse(scheduledAt),
      storedAt: m.info.timestampNanos / 1e6,
    });
  });
  return ticks;
}

export const percentile = (sorted: number[], p: number): number =>
  sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]
    : NaN;

/** Lag statistics and exactly-once counts of `fires` against `expected` distinct ones. */
export function summarize(fires: Fire[], expected: number) {
  const distinct = new Set(fires.map((f) => `${f.key}@${f.scheduledAt}`)).size;
  const lags = fires.map((f) => f.storedAt - f.scheduledAt).sort((a, b) =>
    a - b
  );
  return {
    expected,
    published: distinct,
    missing: expected - distinct,
    duplicated: fires.length - distinct,
    min: lags[0] ?? NaN,
    p50: percentile(lags, 0.5),
    p99: percentile(lags, 0.99),
    max: lags.at(-1) ?? NaN,
  };
}

/** `n` ms with one decimal, or "–" when not measured. */
export const ms = (n: number): string =>
  Number.isFinite(n) ? n.toFixed(1) : "–";

/** Zones of the cost mix; `undefined` is UTC. */
const ZONES = [
  undefined,
  "Europe/Paris",
  "America/New_York",
  "Asia/Tokyo",
  "Asia/Kolkata",
  "Australia/Sydney",
];

/**
 * A realistic mix: 1% per second, 4% per minute, 60% hourly, 35% daily, spread over the
 * seconds, minutes and hours, in six zones.
 */
export function costMix(i: number): SpecOf {
  const tz = ZONES[Math.floor(i / 7) % ZONES.length];
  const s = i % 60, m = Math.floor(i / 60) % 60, h = Math.floor(i / 3600) % 24;
  const r = i % 100;
  if (r < 1) return { spec: "* * * * * *", tz };
  if (r < 5) return { spec: `${s} * * * * *`, tz };
  if (r < 65) return { spec: `${s} ${m} * * * *`, tz };
  return { spec: `${s} ${m} ${h} * * *`, tz };
}
