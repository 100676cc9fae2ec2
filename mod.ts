/**
 * schedule: a distributed cron on NATS JetStream.
 *
 * The client defines schedules in a namespace; publisher nodes fire each job into the
 * namespace's job queue exactly once per tick, however many nodes run; workers execute
 * them.
 *
 * @example
 * ```ts ignore
 * import { connect } from "@nats-io/transport-node";
 * import { HttpJob, nextRuns, Schedule } from "@x/schedule";
 *
 * const nc = await connect({ servers: "127.0.0.1:4222" });
 * const schedule = await Schedule.create("beta", nc);
 * await schedule.set("test", HttpJob("@every 15s", {
 *   url: "https://api.example.com/hook",
 *   headers: { "x-token": "abc" },
 *   body: { name: "demo" },
 * }));
 * console.log(await schedule.get("test"));
 * console.log(nextRuns("0 30 9 * * MON-FRI", 3));
 * ```
 * @module
 */

// The client.
export { Schedule, type ScheduleOptions } from "./lib/client/schedule.ts";
export type { NamespaceOptions } from "./lib/nats/namespace.ts";

// Jobs and specs.
export { HttpJob } from "./lib/jobs/http/job.ts";
export {
  type DstRule,
  nextRuns,
  parseSpec,
  type Spec,
  type SpecOptions,
} from "./lib/spec/mod.ts";
export type {
  Definition,
  HttpMethod,
  HttpOption,
  Job,
  JobInfo,
  JobState,
  RunOutcome,
  RunRecord,
  Tick,
} from "./lib/types.ts";

// The services, to embed a node or a worker in a program of one's own.
export { Node, type NodeMetrics, type NodeOptions } from "./lib/node/mod.ts";
export {
  type ModeHandler,
  RUN_HEADERS,
  type RunContext,
  type RunResult,
  Worker,
  type WorkerMetrics,
  type WorkerOptions,
} from "./lib/worker/mod.ts";
export {
  ServerClock,
  type ServerClockOptions,
} from "./lib/nats/server_clock.ts";
export { listProcesses, type ProcessStatus } from "./lib/ops/discovery.ts";
export { createLogger, type LogFields, type Logger } from "./lib/ops/log.ts";

// The wire: for consumers of the queue and the history written in other code.
export {
  type Compile,
  type CompiledDefinition,
  decodeDefinition,
  decodeRunRecord,
  decodeTick,
  encodeDefinition,
  encodeRunRecord,
  encodeTick,
} from "./lib/wire/mod.ts";
export {
  NamespaceNames,
  validateKey,
  validateNamespace,
} from "./lib/nats/names.ts";

// Errors.
export {
  CodecError,
  ConfigError,
  InvalidJobError,
  InvalidKeyError,
  InvalidNamespaceError,
  InvalidSpecError,
  InvalidTimeZoneError,
  NotFoundError,
  PayloadTooLargeError,
  ScheduleError,
} from "./lib/errors.ts";
