/**
 * Test harness for the node tests: a nats-server, a client, the job stream followed, and
 * nodes started, stopped or cut off on it. Split over several files so that `deno test
 * --parallel` runs them side by side.
 */
import type { NatsConnection } from "@nats-io/nats-core";
import { Schedule } from "../mod.ts";
import { decodeDefinition } from "../lib/wire/mod.ts";
import { Namespace } from "../lib/nats/namespace.ts";
import { Node, type NodeOptions } from "../lib/node/node.ts";
import type { KV } from "@nats-io/kv";
import { NatsServer } from "./nats_server.ts";
import { followTicks, recordingLogger, waitFor } from "./helpers.ts";

export const hook = { url: "https://api.example.com/hook" };
export const SECOND = 1000;

export interface RunningNode {
  nc: NatsConnection;
  node: Node;
  log: ReturnType<typeof recordingLogger>;
}

export interface Cluster {
  server: NatsServer;
  schedule: Schedule;
  namespace: Namespace;
  kv: KV;
  queue: Awaited<ReturnType<typeof followTicks>>;
  startNode(options?: Partial<NodeOptions>): Promise<RunningNode>;
  stopNode(node: RunningNode): Promise<void>;
  /** Cuts a node off NATS without stopping it, as a crash looks to the others. */
  killNode(node: RunningNode): Promise<void>;
  /** When `key` was stored (the server's timestamp) and its anchor. */
  stored(key: string): Promise<{ definedAt: number; anchor: number }>;
  /** Waits until the queue holds a tick of `key` scheduled at or after `time`. */
  reach(key: string, time: number): Promise<void>;
}

export async function withCluster(fn: (cluster: Cluster) => Promise<void>) {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  const schedule = await Schedule.create("beta", nc);
  const namespace = await Namespace.open(nc, "beta");
  const { kv } = namespace;
  const queue = await followTicks(nc, "beta");
  const running = new Set<RunningNode>();
  const killed = new Set<RunningNode>();
  const cluster: Cluster = {
    server,
    schedule,
    namespace,
    kv,
    queue,
    async startNode(options = {}) {
      const nodeNc = await server.connect();
      const log = recordingLogger();
      const node = await Node.start(nodeNc, {
        namespace: "beta",
        logger: log,
        ...options,
      });
      await node.ready;
      const started = { nc: nodeNc, node, log };
      running.add(started);
      return started;
    },
    async stopNode(node) {
      running.delete(node);
      await node.node.stop();
      await node.nc.drain();
    },
    async killNode(node) {
      running.delete(node);
      killed.add(node);
      await node.nc.close();
    },
    async stored(key) {
      const entry = (await kv.get(key))!;
      const { definition } = decodeDefinition(entry.value);
      return {
        definedAt: entry.created.getTime(),
        anchor: definition.anchor.getTime(),
      };
    },
    async reach(key, time) {
      try {
        await waitFor(
          `a tick of ${key} at ${new Date(time).toISOString()}`,
          () => queue.of(key).some((t) => t >= time),
        );
      } catch (err) {
        throw new Error(
          `${(err as Error).message}; ${await whereTicksAre(key)}`,
        );
      }
    },
  };
  /** On a timeout: the key's last tick in the stream and as followed, and the nodes' counts. */
  const whereTicksAre = async (key: string) => {
    const { names } = namespace;
    const last = await namespace.jsm.streams.getMessage(names.jobStream, {
      last_by_subj: names.jobSubject(key, 0),
    }).then((m) => m?.json<{ scheduledAt: string }>().scheduledAt)
      .catch((err) => `unread (${err.message})`);
    const followed = queue.of(key).at(-1);
    const counts = [...running].map(({ node }) => {
      const { published, duplicates, missed, publishErrors } = node.metrics;
      return { published, duplicates, missed, publishErrors };
    });
    return `last in the stream ${last}, last followed ${
      followed === undefined ? "none" : new Date(followed).toISOString()
    }, nodes ${JSON.stringify(counts)}`;
  };
  try {
    await fn(cluster);
  } finally {
    for (const node of running) await cluster.stopNode(node);
    for (const { node } of killed) await node.stop();
    await queue.stop();
    await nc.close();
  }
}

export const nextSecond = (t: number) =>
  Math.floor(t / SECOND) * SECOND + SECOND;

/** Whether the nodes acted as backups: found ticks stored by their owner, or sent copies. */
export const backedUp = (...nodes: Node[]) =>
  nodes.some(({ metrics }) => metrics.covered + metrics.duplicates > 0);
