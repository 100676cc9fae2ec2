/**
 * The console under test: a nats-server, a node and a worker (run as the executable runs
 * them, so they answer discovery), a local HTTP receiver for the jobs, and the console.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/nats-core";
import { Schedule } from "../mod.ts";
import { startConsole } from "../lib/console/mod.ts";
import { parseConfig } from "../lib/ops/config.ts";
import { runService } from "../lib/ops/service.ts";
import { NatsServer } from "./nats_server.ts";

/** The write token of the console under test. */
export const TOKEN = "test-token-1234";

/** What a console test gets. */
export interface ConsoleSetup {
  /** The console's address. */
  url: string;
  /** A connection of the test's own. */
  nc: NatsConnection;
  /** The client, to arrange and check. */
  schedule: Schedule;
  /** The receiver's URL: `/ok` answers 200, `/fail` 500. */
  hook: string;
  /** The requests the receiver got, by path. */
  calls: string[];
}

/** Runs `fn` against a console of namespace `beta` with a node and a worker running. */
export async function withConsole(
  fn: (setup: ConsoleSetup) => Promise<void>,
): Promise<void> {
  await using server = await NatsServer.start();
  const calls: string[] = [];
  const receiver = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      const path = new URL(request.url).pathname;
      calls.push(path);
      return new Response(path === "/fail" ? "broken <b>upstream</b>" : "ok", {
        status: path === "/fail" ? 500 : 200,
      });
    },
  );
  const config = parseConfig(
    `namespace: beta
nats: { hosts: ["${server.url}"] }
http: { port: 0 }
log: { level: error }
worker: { maxAttempts: 1 }
console: { port: 0, token: ${TOKEN} }
`,
    {},
  );
  const nc = await server.connect();
  // The namespace exists before the console starts (it creates none).
  const schedule = await Schedule.create("beta", nc);
  const stopping = new AbortController();
  const services = (["node", "worker"] as const).map((role) =>
    runService(role, config, stopping.signal)
  );
  const running = await startConsole(nc, config);
  try {
    await fn({
      url: running.url,
      nc,
      schedule,
      hook: `http://127.0.0.1:${receiver.addr.port}`,
      calls,
    });
  } finally {
    await running.stop();
    stopping.abort();
    await Promise.all(services);
    await nc.close();
    await receiver.shutdown();
  }
}
