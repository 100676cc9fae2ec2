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
 * await nc.close();
 * ```
 * @module
 */

// The client.
export {
  type BackfillOptions,
  type PauseOptions,
  Schedule,
  type ScheduleOptions,
  type SetOptions,
  type TriggerOptions,
  type WriteOptions,
} from "./lib/client/schedule.ts";
export type {
  Description,
  JobCounts,
  JobDescription,
  Revision,
  RevisionOperation,
} from "./lib/client/describe.ts";
export type { NamespaceOptions } from "./lib/nats/namespace.ts";
export type { LogFields, Logger } from "./lib/ops/log.ts";

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
  CatchupPolicy,
  Definition,
  EventType,
  HttpJobOptions,
  HttpMethod,
  HttpOption,
  Job,
  JobInfo,
  JobPolicy,
  JobState,
  OverlapPolicy,
  PauseNote,
  RunOutcome,
  RunRecord,
  ScheduleEvent,
  Tick,
  TickTrigger,
} from "./lib/types.ts";

// Errors.
export {
  BackfillTooLargeError,
  CodecError,
  ConflictError,
  InvalidBackfillError,
  InvalidJobError,
  InvalidKeyError,
  InvalidNamespaceError,
  InvalidSpecError,
  InvalidTimeZoneError,
  NotFoundError,
  PayloadTooLargeError,
  ScheduleError,
  UnsupportedServerError,
} from "./lib/errors.ts";
