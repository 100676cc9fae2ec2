/**
 * Test harness: a real nats-server with JetStream on a free port and a temporary store.
 *
 * The binary comes from `NATS_SERVER_BIN`, else `nats-server` on `PATH`, else the per-user
 * cache, where the first test to need one installs it (`lib/dev/binary.ts`).
 *
 * @module
 */

import { connect, type NatsConnection } from "@nats-io/transport-node";
import { ensureNatsServer } from "../lib/dev/binary.ts";
import { NatsProcess } from "../lib/dev/process.ts";

/** A nats-server process owned by a test. */
export class NatsServer {
  #process: NatsProcess | undefined;
  #port = -1;

  private constructor(
    readonly binary: string,
    readonly storeDir: string,
    readonly extraArgs: string[],
    readonly jetstream: boolean,
  ) {}

  /**
   * Starts a server with JetStream (unless `jetstream` is false) on a free port in a new
   * temporary store directory; `extraArgs` go to nats-server as they are (such as
   * `--user u --pass p`).
   */
  static async start(
    extraArgs: string[] = [],
    { jetstream = true }: { jetstream?: boolean } = {},
  ): Promise<NatsServer> {
    const dir = await Deno.makeTempDir({ prefix: "nats-" });
    const server = new NatsServer(
      await ensureNatsServer(),
      dir,
      extraArgs,
      jetstream,
    );
    await server.#launch(-1);
    return server;
  }

  /** The client port. */
  get port(): number {
    return this.#port;
  }

  /**
   * Settles when the process exits. A server whose route port was taken exits this way
   * after it logged that it is ready.
   */
  get exited(): Promise<Deno.CommandStatus> {
    return this.#process?.child.status ?? Promise.reject(new Error("stopped"));
  }

  /** `nats://127.0.0.1:<port>` */
  get url(): string {
    return `nats://127.0.0.1:${this.#port}`;
  }

  /** A new connection that reconnects forever, as the nodes' do. */
  connect(): Promise<NatsConnection> {
    return connect({
      servers: this.url,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 100,
    });
  }

  /** Stops the process; the store is kept for {@link restart}. */
  async stop(): Promise<void> {
    if (!this.#process) return;
    await this.#process.stop();
    this.#process = undefined;
  }

  /** Has the server read its config file (`-c`) again, as on SIGHUP. */
  reload(): void {
    this.#process?.child.kill("SIGHUP");
  }

  /** Starts the server again on the same port with the same store. */
  async restart(): Promise<void> {
    await this.stop();
    await this.#launch(this.#port);
  }

  /** Stops the server and deletes its store. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
    await Deno.remove(this.storeDir, { recursive: true });
  }

  async #launch(port: number): Promise<void> {
    this.#process = await NatsProcess.start(this.binary, {
      port,
      storeDir: this.storeDir,
      extraArgs: this.extraArgs,
      jetstream: this.jetstream,
    });
    this.#port = this.#process.port;
  }
}
