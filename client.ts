/**
 * The typed client: define, inspect, pause and remove the schedules of a namespace.
 *
 * @module
 */

export {
  Schedule,
  type ScheduleOptions,
  type SetOptions,
} from "./lib/client/schedule.ts";
