/**
 * Test harness: a cluster of nats-servers with JetStream on loopback, each with its own
 * client port, route port and temporary store.
 *
 * @module
 */

import { jetstream, StorageType } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connect } from "@nats-io/transport-node";
import { NatsServer } from "./nats_server.ts";
import { waitFor } from "./helpers.ts";

/**
 * `count` distinct free TCP ports on loopback (free when asked; the servers bind them
 * right after). Held open together until all are known: a port closed at once could be
 * handed out again for the next.
 */
function freePorts(count: number): number[] {
  const listeners = Array.from(
    { length: count },
    () => Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  );
  const ports = listeners.map((l) => (l.addr as Deno.NetAddr).port);
  for (const listener of listeners) listener.close();
  return ports;
}

/** A server of the cluster exited while it was starting. */
class ServerExited extends Error {
  constructor(name: string) {
    super(`nats-server ${name} exited while the cluster started`);
  }
}

/** A cluster of `size` nats-servers with JetStream, routed to each other. */
export class NatsCluster {
  private constructor(readonly servers: NatsServer[]) {}

  /**
   * Starts the servers and waits until a stream can be placed on all of them: a meta
   * leader alone is not enough, since a peer that has not reported yet leaves
   * "no suitable peers for placement" for a replicated stream. The route ports are chosen
   * free, then bound by the servers: one taken meanwhile (by a connection's local port, or
   * another server's client port) makes its server exit after it said it is ready, and
   * the cluster is started again on new ports, up to three times.
   */
  static async start(size = 3): Promise<NatsCluster> {
    for (let attempt = 1;; attempt++) {
      const cluster = await NatsCluster.#launch(size);
      try {
        await cluster.#placeable(size);
        return cluster;
      } catch (err) {
        await cluster[Symbol.asyncDispose]();
        if (!(err instanceof ServerExited) || attempt === 3) throw err;
      }
    }
  }

  /** Starts `size` servers routed to each other on free ports. */
  static async #launch(size: number): Promise<NatsCluster> {
    const routes = freePorts(size);
    return new NatsCluster(
      await Promise.all(routes.map((port, i) =>
        NatsServer.start([
          "--server_name",
          `s${i + 1}`,
          "--cluster_name",
          "test",
          "--cluster",
          `nats://127.0.0.1:${port}`,
          "--routes",
          routes.filter((p) => p !== port).map((p) => `nats://127.0.0.1:${p}`)
            .join(","),
        ])
      )),
    );
  }

  /**
   * Resolves once a stream of `size` replicas can be created; rejects with
   * {@link ServerExited} as soon as a server is gone.
   */
  async #placeable(size: number): Promise<void> {
    let gone: string | undefined;
    this.servers.forEach((server, i) =>
      server.exited.then(() => gone ??= `s${i + 1}`, () => {})
    );
    const nc = await this.connect();
    // Said when the cluster is not ready in time: why the last attempt failed.
    let refused = "no attempt ended";
    try {
      await waitFor(
        () => `a stream placed on ${size} servers (${refused})`,
        async () => {
          if (gone) throw new ServerExited(gone);
          try {
            const jsm = await jetstream(nc).jetstreamManager();
            await jsm.streams.add({
              name: "cluster_ready",
              subjects: ["cluster_ready"],
              num_replicas: size,
              storage: StorageType.Memory,
            });
            await jsm.streams.delete("cluster_ready");
            return true;
          } catch (err) {
            refused = (err as Error).message;
            return false;
          }
        },
        60_000,
      );
    } finally {
      await nc.close();
    }
  }

  /** Every server's client URL, for a connection that fails over between them. */
  get urls(): string[] {
    return this.servers.map((server) => server.url);
  }

  /** A connection to the cluster that reconnects forever. */
  connect(): Promise<NatsConnection> {
    return connect({
      servers: this.urls,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 100,
    });
  }

  /** The server named `name` (`s1`, `s2`, ...). */
  server(name: string): NatsServer {
    return this.servers[Number(name.slice(1)) - 1];
  }

  /** Stops every server and deletes the stores. */
  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(
      this.servers.map((server) => server[Symbol.asyncDispose]()),
    );
  }
}
