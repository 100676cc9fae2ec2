/**
 * `schedule dev`: the whole system on one machine for development: a nats-server with
 * JetStream (its data in a local folder), one node and one worker in this process.
 *
 * @module
 */

import { ensureNatsServer } from "../dev/binary.ts";
import { NatsProcess } from "../dev/process.ts";
import { ScheduleError } from "../errors.ts";
import { wait, wholeNumberOf } from "../_util.ts";
import { parseConfig, runService, stopOnSignals } from "../ops/mod.ts";
import type { Role } from "../types.ts";
import type { GlobalFlags } from "./context.ts";
import { UsageError } from "./usage.ts";

/** The options `dev` takes. */
export interface DevOptions {
  /** The folder of the server's JetStream data (default `.schedule-dev`). */
  data?: string;
  /** The NATS client port (default 4222; 0 for any free port). */
  port?: string;
}

/** The namespace of `dev` when `SCHEDULE_NAMESPACE` does not name one. */
const DEV_NAMESPACE = "beta";

/**
 * Runs a nats-server, a node and a worker until SIGINT or SIGTERM, then stops the node,
 * the worker and the server, in that order. Prints where each listens and a first
 * command to try. Reads no config file: the environment's `SCHEDULE_*` settings apply,
 * except those of NATS and the health port, and `--namespace` over them. They are checked
 * before nats-server is looked for, installed or started.
 *
 * @throws {UsageError} When an argument or option is not `dev`'s.
 * @throws {ConfigError} When a setting is not valid.
 * @throws {ScheduleError} When there is no nats-server to run, or it does not start.
 *
 * @example
 * ```ts ignore
 * await runDev([], { data: ".schedule-dev", port: "0" }, {}, Deno.env.toObject());
 * ```
 */
export async function runDev(
  args: string[],
  options: DevOptions,
  globals: GlobalFlags,
  env: Record<string, string | undefined>,
): Promise<void> {
  const { data, port } = devSettings(args, options, globals);
  const namespace = globals.namespace ?? env.SCHEDULE_NAMESPACE ??
    DEV_NAMESPACE;
  const configOf = (url: string, httpPort: number) =>
    parseConfig(undefined, {
      ...serviceSettings(env),
      SCHEDULE_NAMESPACE: namespace,
      SCHEDULE_NATS_HOSTS: url,
      SCHEDULE_HTTP_PORT: String(httpPort),
    });
  configOf("127.0.0.1:4222", 0); // a bad setting ends here, before nats-server
  using signals = stopOnSignals();
  const server = await startServer(env, port, data);
  const stops = { node: new AbortController(), worker: new AbortController() };
  const running: Partial<Record<Role, Promise<void>>> = {};
  try {
    const ports: Record<Role, number> = {
      node: freePort(),
      worker: freePort(),
    };
    for (const role of ["node", "worker"] as const) {
      const config = configOf(server.url, ports[role]);
      running[role] = runService(role, config, stops[role].signal);
    }
    console.log(banner(server, data, namespace, ports));
    await untilStopped(signals.signal, server, Object.values(running));
  } finally {
    for (const role of ["node", "worker"] as const) {
      stops[role].abort();
      await running[role]?.catch(() => {});
    }
    await server.stop();
  }
}

/**
 * The data folder and NATS port of `dev` from its options, refusing anything else (of
 * the global flags, `--namespace` only).
 *
 * @throws {UsageError} When an argument or option is not `dev`'s, or the port is not one.
 */
function devSettings(
  args: string[],
  options: DevOptions,
  globals: GlobalFlags,
): { data: string; port: number } {
  const { data = ".schedule-dev", port = "4222", ...others } = options;
  const { namespace: _, ...otherGlobals } = globals;
  if (
    args.length > 0 ||
    [...Object.values(others), ...Object.values(otherGlobals)].some((value) =>
      value !== undefined
    )
  ) {
    throw new UsageError(
      "dev takes only --data DIR, --port N and --namespace NAME",
    );
  }
  const natsPort = wholeNumberOf(port);
  if (!(natsPort <= 65535)) {
    throw new UsageError("--port takes a port number (0 for any free port)");
  }
  return { data, port: natsPort };
}

/**
 * Waits for SIGINT or SIGTERM (`stopped`), or until the server exits (an error) or a
 * service ends.
 */
async function untilStopped(
  stopped: AbortSignal,
  server: NatsProcess,
  running: Promise<void>[],
): Promise<void> {
  await Promise.race([
    wait(Infinity, stopped),
    server.child.status.then(() => {
      throw new ScheduleError("nats-server exited");
    }),
    ...running,
  ]);
}

/** The environment's settings of a node and worker, without those of NATS and health. */
function serviceSettings(
  env: Record<string, string | undefined>,
): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(env).filter(([name]) =>
      name.startsWith("SCHEDULE_") && !name.startsWith("SCHEDULE_NATS_") &&
      name !== "SCHEDULE_HTTP_PORT"
    ),
  );
}

/** Finds (or installs) nats-server and starts it, explaining what stops it. */
async function startServer(
  env: Record<string, string | undefined>,
  port: number,
  data: string,
): Promise<NatsProcess> {
  try {
    const binary = await ensureNatsServer({ env });
    // A group of its own: Ctrl-C reaches this process only, which stops the server last.
    return await NatsProcess.start(binary, {
      port,
      storeDir: data,
      detached: true,
    });
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) {
      throw new ScheduleError(
        "this executable may run only the nats-server found on PATH: put nats-server " +
          "(>= 2.10) on PATH (see the README), or use `deno task dev`",
      );
    }
    if (String(err).includes("address already in use")) {
      throw new ScheduleError(
        `port ${port} is in use: give another with --port, or --port 0 for any free port`,
      );
    }
    throw err;
  }
}

/** A free TCP port (free when asked; the service binds it right after). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

function banner(
  server: NatsProcess,
  data: string,
  namespace: string,
  ports: Record<Role, number>,
): string {
  const health = (port: number) =>
    `http://127.0.0.1:${port}/readyz (also /healthz, /metrics)`;
  return `schedule dev: namespace ${namespace}
  nats-server ${server.version}  ${server.url}  (data in ${data})
  node     ${health(ports.node)}
  worker   ${health(ports.worker)}

Define a job that calls a URL every 5 seconds:
  SCHEDULE_NATS_HOSTS=${server.url} SCHEDULE_NAMESPACE=${namespace} deno task start set demo --spec "@every 5s" --url http://127.0.0.1:9000/hook

Ctrl-C stops the node, the worker and nats-server.`;
}
