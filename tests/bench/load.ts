/**
 * One node loading N definitions of the cost mix (`--load-mix N`): the time from process
 * start to "definitions loaded", the peak RSS, then how long a change to one key takes
 * to be applied while the N are loaded and firing, once the node has sent the ticks that
 * came due while the definitions were written and loaded (it fires on time). Then the
 * job stream gets a tick of every job (as after a day of firing), the node stops (writing
 * the nodes' record) and a new one is timed from process start to loaded.
 *
 * @module
 */

import { HttpJob } from "../../lib/jobs/http/job.ts";
import { Namespace } from "../../lib/nats/namespace.ts";
import { StreamSender } from "../../lib/nats/stream_sender.ts";
import { encodeDefinition } from "../../lib/wire/mod.ts";
import type { NatsConnection } from "@nats-io/nats-core";
import type { NatsServer } from "../nats_server.ts";
import {
  costMix,
  NAMESPACE,
  NodeProcess,
  percentile,
  pipelined,
  SECOND,
  sleep,
  writeDefinitions,
} from "./_util.ts";

/** What {@link loadMix} measured; times in seconds, change latencies in ms, sorted. */
export interface LoadMix {
  write: number;
  load: number;
  /** Peak RSS (MB) when loaded, and at the end of the changes. */
  loadedRss: number;
  rss: number;
  /** Whether the node was firing on time (within a minute) when the changes began. */
  caughtUp: boolean;
  changes: number[];
  restart: Restart;
}

/** A restart over a job stream holding a tick of every job; times in seconds. */
export interface Restart {
  /** Writing the tick of every job. */
  fill: number;
  /** The new node's process start to "definitions loaded". */
  load: number;
  /** Its peak RSS (MB) when loaded. */
  rss: number;
  /** The jobs whose last tick it read (due since the nodes' record); NaN: all, scanned. */
  read: number;
}

/**
 * Writes `n` definitions of the cost mix, starts one node, waits for it to load them,
 * then makes `changes` changes one after another, alternately a new spec for a stored
 * key and a new key, each timed from the put to the node's "definition loaded" line.
 */
export async function loadMix(
  server: NatsServer,
  n: number,
  changes: number,
): Promise<LoadMix> {
  const nc = await server.connect();
  const write = await writeDefinitions(nc, n, costMix);
  const node = new NodeProcess(server);
  await node.logged("definitions loaded");
  const load = (performance.now() - node.started) / SECOND;
  const loadedRss = (await node.usage()).rss;
  const caughtUp = await node.onTime(Date.now() + 60 * SECOND);
  const { kv } = await Namespace.open(nc, NAMESPACE);
  const latencies: number[] = [];
  for (let i = 0; i < changes; i++) {
    // Spread over the second, so that some land during the per-second jobs' sends.
    await sleep(SECOND / 4 + (i * 37) % 100);
    const key = i % 2 ? `changed-${i}` : `job-${(i * 7919) % n}`;
    const { bytes } = encodeDefinition({
      jobs: [
        HttpJob(`${i % 60} ${(i * 7) % 60} * * * *`, {
          url: "http://127.0.0.1:9/hook",
        }),
      ],
      anchor: new Date(),
      paused: false,
    });
    const applied = node.logged("definition loaded", `,"key":"${key}",`);
    const started = performance.now();
    await kv.put(key, bytes);
    await applied;
    latencies.push(performance.now() - started);
  }
  const { rss } = await node.usage();
  const restart = await restartOver(server, nc, n, node);
  await nc.close();
  latencies.sort((a, b) => a - b);
  return { write, load, loadedRss, rss, caughtUp, changes: latencies, restart };
}

/**
 * Writes a tick of each of the `n` jobs into the job stream, an hour old, stops `node`,
 * and times a new node's start over it.
 */
async function restartOver(
  server: NatsServer,
  nc: NatsConnection,
  n: number,
  node: NodeProcess,
): Promise<Restart> {
  const started = performance.now();
  const { names } = await Namespace.open(nc, NAMESPACE);
  const sender = new StreamSender(nc, names.jobStream, 60 * SECOND);
  const hourAgo = new Date(Date.now() - 3600 * SECOND).toISOString();
  await pipelined(n, (i) => {
    const key = `job-${i}`;
    const tick = `{"version":1,"key":"${key}","scheduledAt":"${hourAgo}"}`;
    return sender.publish(names.jobSubject(key, 0), encoder.encode(tick));
  }).finally(() => sender.close());
  const fill = (performance.now() - started) / SECOND;
  await node.stop();
  const next = new NodeProcess(server);
  await next.logged("definitions loaded");
  const load = (performance.now() - next.started) / SECOND;
  const { rss } = await next.usage();
  const read = next.field("definitions loaded", "lastTicks") === "record"
    ? Number(next.field("last ticks read", "jobs") ?? 0)
    : NaN;
  await next.stop();
  return { fill, load, rss, read };
}

const encoder = new TextEncoder();

/** The row of a {@link LoadMix} for `console.table`. */
export function loadMixRow(n: number, result: LoadMix) {
  const { changes } = result;
  return {
    definitions: n,
    "write s": result.write.toFixed(1),
    "load s (process start to loaded)": result.load.toFixed(2),
    "peak RSS MB (loaded / end)": `${result.loadedRss.toFixed(0)} / ${
      result.rss.toFixed(0)
    }`,
    [`change applied ms (p50 / max of ${changes.length})`]: changes.length === 0
      ? "—"
      : `${percentile(changes, 0.5).toFixed(1)} / ${
        changes.at(-1)!.toFixed(1)
      }${result.caughtUp ? "" : " (not yet firing on time)"}`,
  };
}

/** The row of a {@link Restart} for `console.table`. */
export function restartRow(n: number, { restart }: LoadMix) {
  return {
    definitions: n,
    "fill s (a tick per job)": restart.fill.toFixed(1),
    "restart load s (process start to loaded)": restart.load.toFixed(2),
    "peak RSS MB": restart.rss.toFixed(0),
    "last ticks read": Number.isNaN(restart.read) ? "all (scan)" : restart.read,
  };
}
