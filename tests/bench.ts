/**
 * Benchmark of the publisher node (`deno task bench`, not part of the tests).
 *
 * For each size N: a fresh nats-server, two node processes, N schedules firing every
 * second (half `* * * * * *`, half `@every 1s`), a fixed measuring window; then it prints
 * ticks expected, published, missing, duplicated, the firing lag (stream timestamp minus
 * scheduled time) and each node's CPU time and peak RSS. Last, the time and RSS one node
 * takes to load L definitions. With `--shift +3s`, the second node runs with its clock
 * shifted under libfaketime: `lag min` shows whether any tick was stored early.
 *
 *   deno task bench [--sizes 1000,10000] [--seconds 10] [--load 100000] [--shift +3s]
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { NatsConnection } from "@nats-io/nats-core";
import { DeliverPolicy } from "@nats-io/jetstream";
import { encodeDefinition } from "../lib/wire/mod.ts";
import { HttpJob } from "../lib/jobs/http/job.ts";
import { Namespace } from "../lib/nats/namespace.ts";
import { NatsServer } from "./nats_server.ts";
import { faketime } from "./helpers.ts";

const NAMESPACE = "bench";
const SECOND = 1000;
const serverTs = new URL("../server.ts", import.meta.url).pathname;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    sizes: { type: "string", default: "1000,10000" },
    seconds: { type: "string", default: "10" },
    load: { type: "string", default: "100000" },
    shift: { type: "string", default: "" },
  },
});
const sizes = values.sizes.split(",").map(Number);
const seconds = Number(values.seconds);
const loadSize = Number(values.load);

/** A node process whose stderr is drained and watched for a log message. */
class NodeProcess {
  readonly #child: Deno.ChildProcess;
  readonly #seen = new Map<string, () => void>();
  #log = "";

  constructor(server: NatsServer, env: Record<string, string> = {}) {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        "--allow-read",
        "--allow-env",
        serverTs,
      ],
      env: {
        SCHEDULE_NAMESPACE: NAMESPACE,
        SCHEDULE_NATS_HOSTS: server.url,
        SCHEDULE_DEBUG: "false",
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
        for (const [message, resolve] of this.#seen) {
          if (this.#log.includes(`"msg":"${message}"`)) resolve();
        }
      }
    })();
  }

  /** Resolves when the node has logged `message`. */
  logged(message: string): Promise<void> {
    if (this.#log.includes(`"msg":"${message}"`)) return Promise.resolve();
    return new Promise((resolve) => this.#seen.set(message, resolve));
  }

  /** CPU seconds (user + system) and peak RSS in MB, read from /proc. */
  async usage(): Promise<{ cpu: number; rss: number }> {
    const stat = (await Deno.readTextFile(`/proc/${this.#child.pid}/stat`))
      .split(") ")[1]
      .split(" ");
    const cpu = (Number(stat[11]) + Number(stat[12])) / 100;
    const status = await Deno.readTextFile(`/proc/${this.#child.pid}/status`);
    const rss = Number(/VmHWM:\s+(\d+)/.exec(status)![1]) / 1024;
    return { cpu, rss };
  }

  async stop(): Promise<void> {
    this.#child.kill("SIGTERM");
    await this.#child.status;
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

async function writeDefinitions(
  nc: NatsConnection,
  count: number,
  specOf: (i: number) => string,
): Promise<void> {
  const { kv } = await Namespace.open(nc, NAMESPACE);
  const option = { url: "http://127.0.0.1:9/hook" };
  const batch = 1000;
  for (let start = 0; start < count; start += batch) {
    const puts = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const anchor = new Date(Math.floor(Date.now() / SECOND) * SECOND);
      const { bytes } = encodeDefinition({
        jobs: [HttpJob(specOf(i), option)],
        anchor,
        paused: false,
      });
      puts.push(kv.put(`job-${i}`, bytes));
    }
    await Promise.all(puts);
  }
}

async function readTicks(nc: NatsConnection) {
  const { js, jsm, names } = await Namespace.open(nc, NAMESPACE);
  const total = (await jsm.streams.info(names.jobStream)).state.messages;
  const ticks: { key: string; scheduledAt: number; storedAt: number }[] = [];
  if (total === 0) return ticks;
  const consumer = await js.consumers.get(names.jobStream, {
    deliver_policy: DeliverPolicy.All,
  });
  for await (const m of await consumer.consume()) {
    const { key, scheduledAt } = m.json<{ key: string; scheduledAt: string }>();
    ticks.push({
      key,
      scheduledAt: Date.parse(scheduledAt),
      storedAt: m.info.timestampNanos / 1e6,
    });
    if (m.info.pending === 0) break;
  }
  return ticks;
}

const percentile = (sorted: number[], p: number) =>
  sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]
    : NaN;

async function firing(n: number) {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  await Namespace.open(nc, NAMESPACE);
  const shifted = values.shift ? faketime(values.shift) : {};
  const nodes = [new NodeProcess(server), new NodeProcess(server, shifted)];
  await Promise.all(nodes.map((node) => node.logged("definitions loaded")));
  await writeDefinitions(nc, n, (i) => i % 2 ? "@every 1s" : "* * * * * *");
  // Measure whole seconds from two seconds after the last definition was written.
  const from = Math.floor(Date.now() / SECOND) * SECOND + 2 * SECOND;
  const to = from + (seconds - 1) * SECOND;
  while (Date.now() < to + 2 * SECOND) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const usage = await Promise.all(nodes.map((node) => node.usage()));
  const missedLines = nodes.reduce((sum, node) => sum + node.missedLines, 0);
  await Promise.all(nodes.map((node) => node.stop()));

  const ticks = (await readTicks(nc)).filter((t) =>
    t.scheduledAt >= from && t.scheduledAt <= to
  );
  const distinct = new Set(ticks.map((t) => `${t.key}@${t.scheduledAt}`)).size;
  const expected = n * seconds;
  const lags = ticks.map((t) => t.storedAt - t.scheduledAt).sort((a, b) =>
    a - b
  );
  await nc.close();
  return {
    N: n,
    expected,
    published: distinct,
    missing: expected - distinct,
    duplicated: ticks.length - distinct,
    "lag min ms": (lags[0] ?? NaN).toFixed(1),
    "lag p50 ms": percentile(lags, 0.5).toFixed(1),
    "lag p99 ms": percentile(lags, 0.99).toFixed(1),
    "lag max ms": (lags.at(-1) ?? NaN).toFixed(1),
    "node CPU s": usage.map((u) => u.cpu.toFixed(2)).join(" / "),
    "node peak RSS MB": usage.map((u) => u.rss.toFixed(0)).join(" / "),
    "missed logged": missedLines,
    "stored by node": nodes.map((node) => node.stored).join(" / "),
  };
}

async function loading(n: number) {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  // Specs that do not fire during the run: one per minute of the day, on January 1st.
  await writeDefinitions(
    nc,
    n,
    (i) => `0 ${i % 60} ${Math.floor(i / 60) % 24} 1 1 *`,
  );
  const started = performance.now();
  const node = new NodeProcess(server);
  await node.logged("definitions loaded");
  const seconds = (performance.now() - started) / SECOND;
  const { rss } = await node.usage();
  await node.stop();
  await nc.close();
  return {
    definitions: n,
    "load s (process start to loaded)": seconds.toFixed(2),
    "peak RSS MB": rss.toFixed(0),
  };
}

console.log(
  `firing: ${seconds} s window, 2 nodes${
    values.shift ? ` (the second at ${values.shift})` : ""
  }, 1 nats-server, ${navigator.hardwareConcurrency} cores`,
);
const results = [];
for (const n of sizes) results.push(await firing(n));
console.table(results);
if (loadSize > 0) console.table([await loading(loadSize)]);
