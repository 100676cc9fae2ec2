/**
 * Test harness: a real nats-server with JetStream on a free port and a temporary store.
 *
 * The binary comes from `NATS_SERVER_BIN`, else `nats-server` on `PATH`.
 *
 * @module
 */

import { connect, type NatsConnection } from "@nats-io/transport-node";

/** A nats-server process owned by a test. */
export class NatsServer {
  #process: Deno.ChildProcess | undefined;
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
    const server = new NatsServer(findBinary(), dir, extraArgs, jetstream);
    await server.#launch(-1);
    return server;
  }

  /** The client port. */
  get port(): number {
    return this.#port;
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
    this.#process.kill("SIGTERM");
    await this.#process.status;
    this.#process = undefined;
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
    this.#process = new Deno.Command(this.binary, {
      args: [
        "-a",
        "127.0.0.1",
        "-p",
        String(port),
        ...(this.jetstream ? ["-js", "-sd", this.storeDir] : []),
        ...this.extraArgs,
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const reader = this.#process.stderr.pipeThrough(new TextDecoderStream())
      .getReader();
    let log = "";
    const deadline = setTimeout(() => this.#process?.kill("SIGKILL"), 10_000);
    try {
      while (!log.includes("Server is ready")) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`nats-server did not start:\n${log}`);
        log += value;
      }
    } finally {
      clearTimeout(deadline);
    }
    this.#port = Number(
      /Listening for client connections on [\d.]+:(\d+)/.exec(log)![1],
    );
    // Keep draining stderr so the server never blocks on, or dies of, a full or closed pipe.
    (async () => {
      while (!(await reader.read()).done) { /* discard */ }
    })();
  }
}

function findBinary(): string {
  const fromEnv = Deno.env.get("NATS_SERVER_BIN");
  if (fromEnv) return fromEnv;
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      const path = `${dir}/nats-server`;
      if (Deno.statSync(path).isFile) return path;
    } catch { /* not there */ }
  }
  throw new Error(
    "no nats-server found: set NATS_SERVER_BIN or put nats-server (>= 2.10) on PATH; " +
      "`bash ../shared/tools/nats-server.sh latest` downloads one and prints its path",
  );
}
