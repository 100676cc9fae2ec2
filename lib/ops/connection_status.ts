/**
 * Following the NATS connection of a running node or worker: readiness, reconnection
 * count and log lines.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/nats-core";
import type { Logger } from "./log.ts";
import type { Metrics } from "./monitor.ts";
import { redactMessage } from "./redact.ts";

/**
 * Follows the status of `nc` until the connection closes: `state.connected` tracks
 * disconnections and reconnections, reconnections are counted, and disconnections,
 * reconnections and errors are logged, errors without the credentials of `hosts` (the
 * configured NATS hosts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { NatsConnection } from "@nats-io/nats-core";
 * import { watchConnection } from "./connection_status.ts";
 * import { createLogger } from "./log.ts";
 * import { Metrics } from "./monitor.ts";
 *
 * const statuses = [{ type: "disconnect", server: "127.0.0.1:4222" }];
 * const nc = { status: () => statuses.values() } as unknown as NatsConnection;
 * const state = { connected: true };
 * const log = createLogger({ write: () => {} });
 * await watchConnection(nc, state, new Metrics("node", "0.1.0"), log, []);
 * assert.equal(state.connected, false);
 * ```
 */
export async function watchConnection(
  nc: Pick<NatsConnection, "status">,
  state: { connected: boolean },
  metrics: Metrics,
  log: Logger,
  hosts: string[],
): Promise<void> {
  for await (const status of nc.status()) {
    if (status.type === "disconnect") {
      state.connected = false;
      log.warn("disconnected from NATS", { server: status.server });
    } else if (status.type === "reconnect") {
      state.connected = true;
      metrics.reconnected();
      log.info("reconnected to NATS", { server: status.server });
    } else if (status.type === "error") {
      log.error("NATS error", {
        error: redactMessage(status.error.message, hosts),
      });
    }
  }
}
