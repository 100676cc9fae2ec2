/**
 * Benchmarks of the publisher node and the worker (`deno task bench`, not part of the
 * tests). Each measurement starts its own nats-server on loopback and stops by itself.
 *
 * Firing (the default): for each size N, two node processes, N schedules firing every
 * second (half `* * * * * *`, half `@every 1s`), a fixed window; it prints ticks
 * expected, published, missing, duplicated, the firing lag (stream timestamp minus
 * scheduled time) and each node's CPU time and peak RSS. Then the time and RSS one node
 * takes to load L definitions. With `--shift +3s`, the second node runs with its clock
 * shifted under libfaketime: `lag min` shows whether any tick was stored early. With
 * `--native`, the same loads also run on nats-server's own message schedules
 * (`bench/native.ts`) and one table sets both sides side by side; `--repeat 5` runs each
 * load five times, each side in turn, and adds the medians. With `--floor`, each load
 * also runs on two bare senders (`bench/floor_sender.ts`: the node's encoding and
 * acknowledged publish, none of its scheduling), the floor of publishing from outside the
 * server on this machine: the table sets ours and native against it.
 *
 * `--burst N`: N jobs due at the same second (`0 * * * * *`), on both sides; `--wire`
 * adds a subscriber to the job subjects, to split our time between sending and storing.
 * `--worker`: a worker's executions per second against a loopback receiver
 * (`bench/worker.ts`). `--cost 10000,100000,1000000`: node CPU per 10,000 ticks, RSS
 * per 1,000 definitions and load time over a realistic mix of specs and zones.
 * `--scale N`: N every-second schedules on 1, 2 and 3 nodes: each node's CPU, how the
 * ticks split, and publishes per stored tick.
 * `--load-mix 1000000`: one node's load time and peak RSS over that mix, then how long
 * it takes to apply a change to one key (`--changes` of them) while they are loaded, and
 * a restart over a job stream holding a tick of every job (`bench/load.ts`).
 * `--split-cores` (any mode): nats-server on CPU 0, the bench and every process it starts
 * on the other CPUs, as when the nodes run on other machines than the server.
 *
 *   deno task bench [--sizes 1000,10000] [--seconds 10] [--load 100000] [--shift +3s] [--native] [--floor] [--repeat 5] [--split-cores]
 *   deno task bench --burst 100000 [--wire]
 *   deno task bench --worker [--runs 10000] [--concurrency 8]
 *   deno task bench --cost 10000,100000,1000000 [--seconds 10]
 *   deno task bench --scale 10000 [--seconds 10]
 *   deno task bench --load-mix 1000000 [--changes 20]
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { NatsConnection } from "@nats-io/nats-core";
import { Namespace } from "../lib/nats/namespace.ts";
import { NamespaceNames } from "../lib/nats/names.ts";
import { NatsServer } from "./nats_server.ts";
import { faketime } from "./helpers.ts";
import {
  costMix,
  DENO_RUN,
  type Fire,
  ms,
  NAMESPACE,
  NodeProcess,
  percentile,
  readTicks,
  SECOND,
  serverPid,
  sleep,
  splitCores,
  summarize,
  until,
  usageOf,
  wholeSecond,
  writeDefinitions,
} from "./bench/_util.ts";
import { loadMix, loadMixRow, restartRow } from "./bench/load.ts";
import { NativeSchedules } from "./bench/native.ts";
import { workerBench } from "./bench/worker.ts";

// `--burst` alone means 100,000 jobs.
const args = Deno.args.flatMap((arg, i) =>
  arg === "--burst" && !/^\d/.test(Deno.args[i + 1] ?? "")
    ? [arg, "100000"]
    : [arg]
);
const OPTIONS = {
  sizes: { type: "string", default: "1000,10000" },
  seconds: { type: "string", default: "10" },
  load: { type: "string", default: "100000" },
  shift: { type: "string", default: "" },
  native: { type: "boolean", default: false },
  floor: { type: "boolean", default: false },
  burst: { type: "string" },
  worker: { type: "boolean", default: false },
  runs: { type: "string", default: "10000" },
  concurrency: { type: "string", default: "8" },
  cost: { type: "string" },
  nodes: { type: "string", default: "2" },
  scale: { type: "string" },
  repeat: { type: "string", default: "1" },
  wire: { type: "boolean", default: false },
  "load-mix": { type: "string" },
  changes: { type: "string", default: "20" },
  "split-cores": { type: "boolean", default: false },
} as const;

/** Ends the bench on a misused option, with `message`, before anything starts. */
function misused(message: string): never {
  console.error(message);
  Deno.exit(2);
}

const { values } = (() => {
  try {
    return parseArgs({ args, options: OPTIONS });
  } catch (err) {
    return misused((err as Error).message);
  }
})();

/**
 * The whole numbers of at least `min` in option `name`'s `value`, a comma-separated list
 * when `list`; anything else is {@link misused}.
 */
function wholeNumbers(
  name: string,
  value: string,
  min = 1,
  list = true,
): number[] {
  const numbers = (list ? value.split(",") : [value]).map((part) =>
    /^\d+$/.test(part) ? Number(part) : NaN
  );
  if (numbers.some((n) => !(n >= min))) {
    misused(
      `--${name} ${value}: expected ${
        list
          ? `whole numbers of at least ${min}, separated by commas`
          : `a whole number of at least ${min}`
      }`,
    );
  }
  return numbers;
}

/** The whole number of at least `min` in option `name`'s `value` (see above). */
function wholeNumber(name: string, value: string, min = 1): number {
  return wholeNumbers(name, value, min, false)[0];
}

const sizes = wholeNumbers("sizes", values.sizes);
const seconds = wholeNumber("seconds", values.seconds);
const loadSize = wholeNumber("load", values.load, 0);
const nodeCountAsked = wholeNumber("nodes", values.nodes);
const repeat = wholeNumber("repeat", values.repeat);
const runs = wholeNumber("runs", values.runs);
const concurrency = wholeNumber("concurrency", values.concurrency);
const changes = wholeNumber("changes", values.changes, 0);
const burstSize = values.burst === undefined
  ? undefined
  : wholeNumber("burst", values.burst);
const costSizes = values.cost === undefined
  ? undefined
  : wholeNumbers("cost", values.cost);
const loadMixSize = values["load-mix"] === undefined
  ? undefined
  : wholeNumber("load-mix", values["load-mix"]);
const scaleSize = values.scale === undefined
  ? undefined
  : wholeNumber("scale", values.scale);

/**
 * A node's publishes so far (stored first, and duplicates: a backup sends a copy only
 * when its owner's report does not show the tick stored), from its `/metrics`.
 */
async function publishes(node: NodeProcess) {
  const text = await node.metrics();
  const read = (name: string) =>
    Number(
      new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text)?.[1] ?? 0,
    );
  const stored = read("schedule_ticks_published_total");
  return { stored, sent: stored + read("schedule_ticks_duplicate_total") };
}

/** The nodes' publishes per tick stored between two readings of {@link publishes}. */
function publishesPerTick(
  before: { stored: number; sent: number }[],
  after: { stored: number; sent: number }[],
): number {
  let sent = 0, stored = 0;
  after.forEach((a, i) => {
    sent += a.sent - before[i].sent;
    stored += a.stored - before[i].stored;
  });
  return sent / stored;
}

/** Counts nodes' and server's CPU seconds from `start()` to `stop()`. */
async function cpuMeter(pids: number[]) {
  const before = await Promise.all(pids.map(usageOf));
  return async () => {
    const after = await Promise.all(pids.map(usageOf));
    return after.map((u, i) => u.cpu - before[i].cpu);
  };
}

/** Resolves once every node holds `n` definitions (5 minutes at most). */
async function holding(nodes: NodeProcess[], n: number): Promise<void> {
  const held = async () =>
    (await Promise.all(
      nodes.map((node) => node.gauge("schedule_definitions")),
    )).every((d) => d >= n);
  if (!await until(held, Date.now() + 300 * SECOND)) {
    throw new Error(`the nodes did not load ${n} definitions in 5 minutes`);
  }
}

/** The same per-second load on either side. */
const everySecond = (i: number) => i % 2 ? "@every 1s" : "* * * * * *";

/** The window: whole seconds from two seconds after now, `seconds` of them. */
function window() {
  const from = wholeSecond(Date.now()) + 2 * SECOND;
  const to = from + (seconds - 1) * SECOND;
  const within = (f: Fire) => f.scheduledAt >= from && f.scheduledAt <= to;
  return { from, to, within };
}

async function firing(n: number, nodeCount = nodeCountAsked) {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  await Namespace.open(nc, NAMESPACE);
  const shifted = values.shift ? faketime(values.shift) : {};
  const nodes = Array.from(
    { length: nodeCount },
    (_, i) => new NodeProcess(server, i === 1 ? shifted : {}),
  );
  await Promise.all(nodes.map((node) => node.logged("definitions loaded")));
  await writeDefinitions(nc, n, everySecond);
  // The window starts once the nodes hold every definition: each one written while they
  // run is loaded and logged on its own, which at 10,000 takes them seconds.
  await holding(nodes, n);
  const { from, to, within } = window();
  // Publishes over the window (before it, the nodes have heard each other): steady state.
  // Read half a second before its first ticks, not while the nodes send them (serving
  // its first `/metrics` slowed a node's first second).
  await sleep(from - SECOND / 2 - Date.now());
  const before = await Promise.all(nodes.map(publishes));
  await sleep(from - Date.now());
  const pid = await serverPid(server);
  const cpu = await cpuMeter([pid, ...nodes.map((node) => node.pid)]);
  await sleep(to + SECOND - Date.now());
  const [serverCpu, ...nodeCpu] = await cpu();
  const serverRss = (await usageOf(pid)).rss;
  const after = await Promise.all(nodes.map(publishes));
  await sleep(SECOND);
  const usage = await Promise.all(nodes.map((node) => node.usage()));
  const missedLines = nodes.reduce((sum, node) => sum + node.missedLines, 0);
  await Promise.all(nodes.map((node) => node.stop()));
  const s = summarize((await readTicks(nc)).filter(within), n * seconds);
  await nc.close();
  return {
    s,
    nodeCpu,
    windowCpu: serverCpu + nodeCpu.reduce((a, b) => a + b, 0),
    serverRss,
    row: {
      N: n,
      expected: s.expected,
      published: s.published,
      missing: s.missing,
      duplicated: s.duplicated,
      "lag min ms": ms(s.min),
      "lag p50 ms": ms(s.p50),
      "lag p99 ms": ms(s.p99),
      "lag max ms": ms(s.max),
      "node CPU s": usage.map((u) => u.cpu.toFixed(2)).join(" / "),
      "node peak RSS MB": usage.map((u) => u.rss.toFixed(0)).join(" / "),
      "missed logged": missedLines,
      "stored by node": nodes.map((node) => node.stored).join(" / "),
      "publishes / stored tick": publishesPerTick(before, after).toFixed(3),
    },
  };
}

/**
 * The per-second load from two bare senders in processes of their own (the floor), each
 * sending half of the keys; read back from the job stream as ours is.
 */
async function floorFiring(n: number) {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  await Namespace.open(nc, NAMESPACE);
  const { from, to, within } = window();
  const script = new URL("./bench/floor_sender.ts", import.meta.url).pathname;
  const senders = [0, 1].map((part) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        ...DENO_RUN,
        script,
        server.url,
        String(n),
        String(part),
        "2",
        String(from),
        String(to),
      ],
      stdout: "null",
    }).output()
  );
  for (const { success } of await Promise.all(senders)) {
    if (!success) throw new Error("a floor sender failed");
  }
  const s = summarize((await readTicks(nc)).filter(within), n * seconds);
  await nc.close();
  return { s };
}

/** The per-second load on native schedules; a string says why it was skipped. */
async function nativeFiring(n: number) {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  try {
    const native = await NativeSchedules.open(nc);
    if (typeof native === "string") return native;
    await native.add(n, everySecond);
    const { from, to, within } = window();
    await sleep(from - Date.now());
    const pid = await serverPid(server);
    const cpu = await cpuMeter([pid]);
    await sleep(to + SECOND - Date.now());
    const [serverCpu] = await cpu();
    const serverRss = (await usageOf(pid)).rss;
    await sleep(SECOND);
    await native.stop();
    const fires = (await native.fires(SECOND)).filter(within);
    return {
      s: summarize(fires, n * seconds),
      windowCpu: serverCpu,
      serverRss,
    };
  } finally {
    await nc.close();
  }
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
  const node = new NodeProcess(server);
  await node.logged("definitions loaded");
  const seconds = (performance.now() - node.started) / SECOND;
  const { rss } = await node.usage();
  await node.stop();
  await nc.close();
  return {
    definitions: n,
    "load s (process start to loaded)": seconds.toFixed(2),
    "peak RSS MB": rss.toFixed(0),
  };
}

/** The next whole minute at least `margin` ms from now. */
const nextMinute = (margin: number) =>
  Math.ceil((Date.now() + margin) / 60_000) * 60_000;

/** How long to wait for a burst of `n` to be stored: 45 s at most (the next is at 60). */
const burstDeadline = (due: number) => due + 45 * SECOND;

/** N jobs due at one second on our side: lag, and where the time goes. */
async function burstOurs(n: number) {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  const { jsm } = await Namespace.open(nc, NAMESPACE);
  const names = new NamespaceNames(NAMESPACE);
  const nodes = [new NodeProcess(server), new NodeProcess(server)];
  await Promise.all(nodes.map((node) => node.logged("definitions loaded")));
  const write = await writeDefinitions(nc, n, () => "0 * * * * *");
  await holding(nodes, n);
  const due = nextMinute(5 * SECOND);
  // With --wire, each tick's first copy on the wire, as a core NATS subscriber sees it:
  // the node's send plus routing (and this process's own delay in reading). It costs the
  // server a delivery per tick, so it is not on by default.
  const seen = new Map<string, number>();
  const sub = values.wire
    ? nc.subscribe(names.jobSubjects, {
      callback: (_err, m) => {
        const key = m.subject.split(".")[3];
        if (!seen.has(key) && Date.now() >= due - SECOND) {
          seen.set(key, performance.timeOrigin + performance.now());
        }
      },
    })
    : undefined;
  await sleep(due - SECOND - Date.now());
  const cpu = await cpuMeter(nodes.map((node) => node.pid));
  const publishedBefore = await Promise.all(nodes.map(publishes));
  const stored = async () =>
    (await jsm.streams.info(names.jobStream)).state.messages;
  const before = await stored();
  await until(
    async () =>
      await stored() - before >= n && (!values.wire || seen.size >= n),
    burstDeadline(due),
  );
  await sleep(SECOND); // the backups, half a second later
  const nodeCpu = await cpu();
  const publishedAfter = await Promise.all(nodes.map(publishes));
  const perTick = publishesPerTick(publishedBefore, publishedAfter);
  const acked = ackQuantiles(await Promise.all(nodes.map((x) => x.metrics())));
  await Promise.all(nodes.map((node) => node.stop()));
  sub?.unsubscribe();
  const ticks = (await readTicks(nc)).filter((t) => t.scheduledAt === due);
  await nc.close();
  const wire = [...seen.values()].map((t) => t - due).sort((a, b) => a - b);
  const store = ticks.filter((t) => seen.has(t.key)).map((t) =>
    t.storedAt - seen.get(t.key)!
  ).sort((a, b) => a - b);
  return {
    s: summarize(ticks, n),
    write,
    nodeCpu,
    perTick,
    wire: {
      p50: percentile(wire, 0.5),
      p99: percentile(wire, 0.99),
      max: wire.at(-1) ?? NaN,
    },
    store: {
      p50: percentile(store, 0.5),
      p99: percentile(store, 0.99),
      max: store.at(-1) ?? NaN,
    },
    acked,
  };
}

/**
 * The p50 and p99 of the nodes' `schedule_firing_lag_seconds` together (scheduled time
 * to the stream's acknowledgement), as the upper bounds of their histogram buckets.
 */
function ackQuantiles(texts: string[]): { p50: string; p99: string } {
  const buckets = new Map<string, number>();
  for (const text of texts) {
    for (
      const [, le, count] of text.matchAll(
        /^schedule_firing_lag_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm,
      )
    ) buckets.set(le, (buckets.get(le) ?? 0) + Number(count));
  }
  const total = buckets.get("+Inf") ?? 0;
  const at = (q: number) => {
    for (const [le, count] of buckets) {
      if (count >= q * total) return le === "+Inf" ? "> 60 s" : `≤ ${le} s`;
    }
    return "–";
  };
  return total ? { p50: at(0.5), p99: at(0.99) } : { p50: "–", p99: "–" };
}

/** N schedules due at one second on native schedules. */
async function burstNative(n: number) {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  try {
    const native = await NativeSchedules.open(nc);
    if (typeof native === "string") return native;
    const write = await native.add(n, () => "0 * * * * *");
    const due = nextMinute(5 * SECOND);
    await sleep(due - SECOND - Date.now());
    const cpu = await cpuMeter([await serverPid(server)]);
    await until(
      async () => await native.fireCount(n) >= n,
      burstDeadline(due),
    );
    const [serverCpu] = await cpu();
    await native.stop();
    const fires = (await native.fires(60 * SECOND)).filter((f) =>
      f.scheduledAt === due
    );
    return { s: summarize(fires, n), write, serverCpu };
  } finally {
    await nc.close();
  }
}

async function burst(n: number) {
  console.log(
    `burst: ${n} jobs due at the same second (0 * * * * *), each side on its own nats-server`,
  );
  const ours = await burstOurs(n);
  const native = await burstNative(n);
  const side = (s: ReturnType<typeof summarize>) => ({
    "lag p50 ms": ms(s.p50),
    "lag p99 ms": ms(s.p99),
    "lag max ms": ms(s.max),
    missing: s.missing,
    duplicated: s.duplicated,
  });
  console.table([
    {
      side: "ours (2 nodes)",
      "write s": ours.write.toFixed(2),
      ...side(ours.s),
      "CPU s": ours.nodeCpu.map((c) => c.toFixed(2)).join(" / ") + " (nodes)",
      "publishes / stored tick": ours.perTick.toFixed(3),
    },
    typeof native === "string" ? { side: `native: skipped, ${native}` } : {
      side: "native",
      "write s": native.write.toFixed(2),
      ...side(native.s),
      "CPU s": `${native.serverCpu.toFixed(2)} (server)`,
    },
  ]);
  console.log("where the time goes on our side (ms after the due second):");
  const wire = values.wire
    ? [{
      stage:
        "first copy seen on the wire (node send + routing + this reader; the max bounds the node sending the last tick)",
      p50: ms(ours.wire.p50),
      p99: ms(ours.wire.p99),
      max: ms(ours.wire.max),
    }, {
      stage: "stored after its first copy was seen (server store queue)",
      p50: ms(ours.store.p50),
      p99: ms(ours.store.p99),
      max: ms(ours.store.max),
    }]
    : [];
  console.table([
    ...wire,
    {
      stage: "stored (lag)",
      p50: ms(ours.s.p50),
      p99: ms(ours.s.p99),
      max: ms(ours.s.max),
    },
    {
      stage: "acknowledged to the node (its /metrics histogram, bucket bound)",
      p50: ours.acked.p50,
      p99: ours.acked.p99,
      max: "–",
    },
  ]);
}

async function emptyNodeRss(): Promise<number> {
  await using server = await NatsServer.start();
  const node = new NodeProcess(server);
  await node.logged("definitions loaded");
  await sleep(2 * SECOND);
  const { rss } = await node.usage();
  await node.stop();
  return rss;
}

async function cost(n: number, baseline: number) {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  await Namespace.open(nc, NAMESPACE);
  const write = await writeDefinitions(nc, n, costMix);
  const nodes = [new NodeProcess(server), new NodeProcess(server)];
  const load = await Promise.all(nodes.map(async (node) => {
    await node.logged("definitions loaded");
    return (performance.now() - node.started) / SECOND;
  }));
  // Steady state: the window opens once both have sent the ticks that came due while
  // they loaded (a million's took seconds on a slow machine, and cut into the window).
  const deadline = Date.now() + 60 * SECOND;
  const onTime = await Promise.all(nodes.map((node) => node.onTime(deadline)));
  const { from, to, within } = window();
  await sleep(from - Date.now());
  const cpu = await cpuMeter(nodes.map((node) => node.pid));
  await sleep(to + SECOND - Date.now());
  const nodeCpu = await cpu();
  await sleep(SECOND);
  const rss = await Promise.all(nodes.map(async (x) => (await x.usage()).rss));
  await Promise.all(nodes.map((node) => node.stop()));
  const ticks = summarize((await readTicks(nc)).filter(within), 0).published;
  await nc.close();
  const both = (f: (i: number) => string) =>
    nodes.map((_, i) => f(i)).join(" / ");
  return {
    definitions: n,
    "write s": write.toFixed(1),
    "load s": both((i) => load[i].toFixed(1)),
    "on time": onTime.every(Boolean) ? "yes" : "no, after 60 s",
    "peak RSS MB": both((i) => rss[i].toFixed(0)),
    "MB per 1k defs": both((i) =>
      ((rss[i] - baseline) / (n / 1000)).toFixed(2)
    ),
    "ticks/s": (ticks / seconds).toFixed(0),
    "CPU s per 10k ticks": both((i) =>
      ticks ? (nodeCpu[i] / ticks * 10_000).toFixed(2) : "–"
    ),
  };
}

/** One firing measurement of ours, and of native schedules when asked. */
interface FiringRun {
  n: number;
  run: number;
  ours: Awaited<ReturnType<typeof firing>>;
  native?: Awaited<ReturnType<typeof nativeFiring>>;
  floor?: Awaited<ReturnType<typeof floorFiring>>;
}

const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 0.5);

/** Prints ours against native, each run, then the medians per load over the runs. */
function compareNative(runs: FiringRun[]): void {
  console.log(
    "ours vs native schedules (lag = stream timestamp − scheduled time; CPU s over the window)",
  );
  const compared = runs.flatMap(({ n, run, ours, native }) =>
    typeof native === "object" ? [{ n, run, ours, native }] : []
  );
  const skipped = runs.find((r) => typeof r.native === "string")?.native;
  if (skipped) console.log(`native: skipped, ${skipped}`);
  console.table(compared.map(({ n, run, ours, native }) => ({
    load: n,
    run,
    "native p50/p99 ms": `${ms(native.s.p50)} / ${ms(native.s.p99)}`,
    "ours p50/p99 ms": `${ms(ours.s.p50)} / ${ms(ours.s.p99)}`,
    "ours ÷ native (p99)": (ours.s.p99 / native.s.p99).toFixed(2),
    "native missing/dup": `${native.s.missing} / ${native.s.duplicated}`,
    "ours missing/dup": `${ours.s.missing} / ${ours.s.duplicated}`,
    "CPU native (server)": native.windowCpu.toFixed(2),
    "CPU ours (server + nodes)": ours.windowCpu.toFixed(2),
    "server peak RSS MB native / ours": `${native.serverRss.toFixed(0)} / ${
      ours.serverRss.toFixed(0)
    }`,
  })));
  if (repeat === 1) return;
  console.log(`medians over ${repeat} runs`);
  console.table(sizes.map((n) => {
    const of = compared.filter((r) => r.n === n);
    return {
      load: n,
      "native p99 ms": ms(median(of.map((r) => r.native.s.p99))),
      "ours p99 ms": ms(median(of.map((r) => r.ours.s.p99))),
      "ours ÷ native (p99), median of the runs' ratios": median(
        of.map((r) => r.ours.s.p99 / r.native.s.p99),
      ).toFixed(2),
      "ours missing/dup, all runs": `${
        of.reduce((a, r) => a + r.ours.s.missing, 0)
      } / ${of.reduce((a, r) => a + r.ours.s.duplicated, 0)}`,
    };
  }));
}

/** Prints ours, and native when measured, against the floor: each run, then medians. */
function compareFloor(runs: FiringRun[]): void {
  console.log(
    "against the floor: two bare senders, the node's encoding and acknowledged publish without its scheduling",
  );
  const native = (r: FiringRun) =>
    typeof r.native === "object" ? r.native : undefined;
  const ratio = (a: number | undefined, b: number) =>
    a === undefined ? "–" : (a / b).toFixed(2);
  console.table(runs.map((r) => ({
    load: r.n,
    run: r.run,
    "floor p50/p99 ms": `${ms(r.floor!.s.p50)} / ${ms(r.floor!.s.p99)}`,
    "floor missing/dup": `${r.floor!.s.missing} / ${r.floor!.s.duplicated}`,
    "ours ÷ floor (p99)": ratio(r.ours.s.p99, r.floor!.s.p99),
    "native ÷ floor (p99)": ratio(native(r)?.s.p99, r.floor!.s.p99),
  })));
  if (repeat === 1) return;
  console.log(`medians over ${repeat} runs`);
  console.table(sizes.map((n) => {
    const of = runs.filter((r) => r.n === n);
    const natives = of.flatMap((r) => {
      const side = native(r);
      return side ? [side.s.p99 / r.floor!.s.p99] : [];
    });
    return {
      load: n,
      "floor p99 ms": ms(median(of.map((r) => r.floor!.s.p99))),
      "ours ÷ floor (p99)": median(of.map((r) => r.ours.s.p99 / r.floor!.s.p99))
        .toFixed(2),
      "native ÷ floor (p99)": natives.length ? median(natives).toFixed(2) : "–",
    };
  }));
}

const cores = values["split-cores"]
  ? await splitCores()
  : `${navigator.hardwareConcurrency} cores`;
const version = async () => {
  await using server = await NatsServer.start();
  const nc: NatsConnection = await server.connect();
  const v = nc.info?.version;
  await nc.close();
  return v;
};
console.log(
  `nats-server ${await version()}, Deno ${Deno.version.deno}, ${cores}`,
);

if (burstSize !== undefined) await burst(burstSize);
if (values.worker) {
  const { rows, outcomes } = await workerBench(runs, concurrency);
  console.log(
    `worker: ${runs} executions each; outcomes ${JSON.stringify(outcomes)}`,
  );
  console.table(rows.map((r) => ({
    what: r.what,
    runs: r.runs,
    "runs/s": (r.runs / r.seconds).toFixed(0),
    "÷ bare": ((r.runs / r.seconds) / (rows[1].runs / rows[1].seconds))
      .toFixed(2),
    "process CPU s": r.cpu.toFixed(2),
    "CPU % of a core": (r.cpu / r.seconds * 100).toFixed(0),
    "nats-server CPU s": r.serverCpu.toFixed(2),
  })));
}
if (costSizes !== undefined) {
  const baseline = await emptyNodeRss();
  console.log(
    `cost: 2 nodes, ${seconds} s window, mix 1% per second, 4% per minute, 60% hourly, 35% daily, 6 zones; empty node ${
      baseline.toFixed(0)
    } MB`,
  );
  const rows = [];
  for (const n of costSizes) {
    rows.push(await cost(n, baseline));
  }
  console.table(rows);
}
if (loadMixSize !== undefined) {
  const n = loadMixSize;
  console.log(
    `load: 1 node, ${n} definitions of the cost mix, then ${changes} changes while loaded`,
  );
  await using server = await NatsServer.start();
  const result = await loadMix(server, n, changes);
  console.table([loadMixRow(n, result)]);
  console.log("restart: a tick of every job in the stream, a new node started");
  console.table([restartRow(n, result)]);
}
if (scaleSize !== undefined) {
  const n = scaleSize;
  console.log(
    `scaling: ${n} schedules firing every second, ${seconds} s window, 1, 2 and 3 nodes`,
  );
  const rows = [];
  for (const nodes of [1, 2, 3]) {
    const { s, row, nodeCpu } = await firing(n, nodes);
    const mean = nodeCpu.reduce((a, b) => a + b, 0) / nodes;
    rows.push({
      nodes,
      "CPU s per node over the window": nodeCpu.map((c) => c.toFixed(2)).join(
        " / ",
      ),
      "mean CPU s per node": mean.toFixed(2),
      "stored by node": row["stored by node"],
      "publishes / stored tick": row["publishes / stored tick"],
      "lag p50 / p99 ms": `${ms(s.p50)} / ${ms(s.p99)}`,
      "missing / duplicated": `${s.missing} / ${s.duplicated}`,
    });
  }
  console.table(rows);
}
const modes = [burstSize, costSizes, loadMixSize, scaleSize];
if (modes.every((mode) => mode === undefined) && !values.worker) {
  console.log(
    `firing: ${seconds} s window, ${nodeCountAsked} nodes${
      values.shift ? ` (the second at ${values.shift})` : ""
    }, 1 nats-server`,
  );
  const runs: FiringRun[] = [];
  for (const n of sizes) {
    for (let run = 1; run <= repeat; run++) {
      const ours = await firing(n);
      const native = values.native ? await nativeFiring(n) : undefined;
      const floor = values.floor ? await floorFiring(n) : undefined;
      runs.push({ n, run, ours, native, floor });
    }
  }
  console.table(runs.map((r) => r.ours.row));
  if (values.native) compareNative(runs);
  if (values.floor) compareFloor(runs);
  if (loadSize > 0) console.table([await loading(loadSize)]);
}
