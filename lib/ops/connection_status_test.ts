import assert from "node:assert/strict";
import type { NatsConnection } from "@nats-io/nats-core";
import { watchConnection } from "./connection_status.ts";
import { createLogger } from "./log.ts";
import { Metrics } from "./monitor.ts";

/** A connection reporting `statuses`, then closed; `state.connected` at each is kept. */
function reporting(statuses: unknown[], state: { connected: boolean }) {
  const seen: boolean[] = [];
  const nc = {
    async *status() {
      for (const status of statuses) {
        yield status;
        seen.push(state.connected);
      }
    },
  } as unknown as NatsConnection;
  return { nc, seen };
}

Deno.test("watchConnection() tracks disconnections and reconnections, counting and logging them", async () => {
  const state = { connected: true };
  const { nc, seen } = reporting([
    { type: "disconnect", server: "127.0.0.1:4222" },
    { type: "reconnecting" },
    { type: "reconnect", server: "127.0.0.1:4223" },
    { type: "error", error: new Error("permissions violation") },
    // The client quotes a host it cannot read with its scheme changed.
    { type: "error", error: new Error("Invalid URL: 'http://al:pw/1@h:1'") },
    { type: "ping" },
  ], state);
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    write: (line) => lines.push(JSON.parse(line)),
  });
  const metrics = new Metrics("worker", "0.1.0");
  await watchConnection(nc, state, metrics, log, ["nats://al:pw/1@h:1"]);
  assert.deepEqual(seen, [false, false, true, true, true, true]);
  assert.deepEqual(
    lines.map(({ time: _, ...line }) => line),
    [
      {
        level: "warn",
        msg: "disconnected from NATS",
        server: "127.0.0.1:4222",
      },
      { level: "info", msg: "reconnected to NATS", server: "127.0.0.1:4223" },
      { level: "error", msg: "NATS error", error: "permissions violation" },
      {
        level: "error",
        msg: "NATS error",
        error: "Invalid URL: 'http://***@h:1'",
      },
    ],
  );
  assert.match(
    metrics.registry.render(),
    /^schedule_nats_reconnects_total 1$/m,
  );
});
