/**
 * The node: fires every job of a namespace into its job queue, exactly once per tick
 * however many nodes run.
 *
 * @example
 * ```ts ignore
 * import { connect } from "@nats-io/transport-node";
 * import { Node } from "@x/schedule/node";
 *
 * const nc = await connect({ servers: "127.0.0.1:4222" });
 * const node = await Node.start(nc, { namespace: "beta" });
 * await node.ready;
 * await node.stop();
 * await nc.drain();
 * ```
 *
 * @module
 */

export { Node, type NodeMetrics, type NodeOptions } from "./node.ts";
export type { LogFields, Logger } from "../ops/log.ts";
export type { ClockReading } from "../nats/server_clock.ts";
