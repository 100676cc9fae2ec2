/**
 * The worker: consumes a namespace's job queue and runs each tick with the handler of its
 * mode (`HTTP` built in), recording every execution in the run history.
 *
 * @example
 * ```ts ignore
 * import { connect } from "@nats-io/transport-node";
 * import { Worker } from "@x/schedule/worker";
 *
 * const nc = await connect({ servers: "127.0.0.1:4222", maxReconnectAttempts: -1 });
 * const worker = await Worker.start(nc, { namespace: "beta", concurrency: 4 });
 * await worker.handle("log", async (tick) => console.log(tick.key, tick.scheduledAt));
 * // ... later
 * await worker.stop();
 * await nc.drain();
 * ```
 *
 * @module
 */

export { Worker } from "./worker.ts";
export type { WorkerMetrics, WorkerOptions } from "./types.ts";
export type { ModeHandler, RunContext, RunResult } from "./handler.ts";
export { RUN_HEADERS } from "../jobs/http/handler.ts";
export type { LogFields, Logger } from "../ops/log.ts";
export type { ClockReading } from "../nats/server_clock.ts";
