/**
 * A nats-server with JetStream as a child process, on 127.0.0.1: started, waited for
 * until it is ready, and stopped. `schedule dev` and the test harness run theirs
 * through this.
 *
 * @module
 */

import { ScheduleError } from "../errors.ts";

/** How to start a nats-server. */
export interface NatsProcessOptions {
  /** The client port; 0 or -1: any free port. */
  port: number;
  /** The JetStream store directory (nats-server creates it). */
  storeDir: string;
  /** More arguments, as they are (such as `--user u --pass p`). */
  extraArgs?: string[];
  /**
   * With JetStream (`-js`); tests turn it off to see what users of such a server see.
   *
   * @default {true}
   */
  jetstream?: boolean;
  /**
   * In a process group of its own, so that a Ctrl-C in the terminal reaches only the
   * parent, which stops it last.
   */
  detached?: boolean;
}

/**
 * A running nats-server.
 *
 * @example
 * ```ts ignore
 * const server = await NatsProcess.start("nats-server", { port: 0, storeDir: "./data" });
 * console.log(server.url); // nats://127.0.0.1:40123
 * await server.stop();
 * ```
 */
export class NatsProcess {
  private constructor(
    readonly child: Deno.ChildProcess,
    /** The client port it listens on. */
    readonly port: number,
    /** Its version, such as `2.15.1`. */
    readonly version: string,
  ) {}

  /**
   * Starts `binary` and resolves once it logs that it is ready (within 10 s).
   *
   * @throws {ScheduleError} With the server's log when it exits before being ready.
   */
  static async start(
    binary: string,
    options: NatsProcessOptions,
  ): Promise<NatsProcess> {
    const child = spawn(binary, options);
    const reader = child.stderr.pipeThrough(new TextDecoderStream())
      .getReader();
    const log = await readyLog(child, reader);
    // Keep draining stderr so the server never blocks on, or dies of, a full or closed pipe.
    (async () => {
      while (!(await reader.read()).done) { /* discard */ }
    })();
    return new NatsProcess(
      child,
      Number(/Listening for client connections on [\d.]+:(\d+)/.exec(log)![1]),
      /Version:\s+(\S+)/.exec(log)?.[1] ?? "unknown",
    );
  }

  /** `nats://127.0.0.1:<port>` */
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Stops the server (SIGTERM) and waits for its exit. */
  async stop(): Promise<void> {
    try {
      this.child.kill("SIGTERM");
    } catch { /* already gone */ }
    await this.child.status;
  }
}

/** Spawns `binary` on 127.0.0.1 with the options' port and JetStream folder. */
function spawn(binary: string, options: NatsProcessOptions): Deno.ChildProcess {
  return new Deno.Command(binary, {
    args: [
      "-a",
      "127.0.0.1",
      "-p",
      String(options.port === 0 ? -1 : options.port),
      ...(options.jetstream === false ? [] : ["-js", "-sd", options.storeDir]),
      ...options.extraArgs ?? [],
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    detached: options.detached,
  }).spawn();
}

/**
 * What the server logged until it said it is ready, killing it when that takes more than
 * 10 s.
 *
 * @throws {ScheduleError} With the server's log when it exits before being ready.
 */
async function readyLog(
  child: Deno.ChildProcess,
  reader: ReadableStreamDefaultReader<string>,
): Promise<string> {
  let log = "";
  const deadline = setTimeout(() => child.kill("SIGKILL"), 10_000);
  try {
    while (!log.includes("Server is ready")) {
      const { value, done } = await reader.read();
      if (done) {
        await child.status;
        throw new ScheduleError(`nats-server did not start:\n${log}`);
      }
      log += value;
    }
  } finally {
    clearTimeout(deadline);
  }
  return log;
}
