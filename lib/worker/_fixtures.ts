/**
 * What the worker's unit tests share: a tick of a `log` job.
 *
 * @module
 */

import type { Tick } from "../types.ts";

/** A tick of job 0 of key `test` in namespace `beta`, a `log` job, at 2030-01-01. */
export const TICK: Tick = {
  namespace: "beta",
  key: "test",
  index: 0,
  scheduledAt: new Date("2030-01-01T00:00:00Z"),
  mode: "log",
  spec: "@hourly",
  option: {},
};
