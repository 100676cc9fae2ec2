/**
 * The wire formats: versioned JSON for definitions (the bucket), ticks (the job queue)
 * and run records (the run history).
 *
 * @module
 */

export * from "./definition.ts";
export * from "./payload.ts";
export * from "./run_record.ts";
export * from "./tick.ts";
export * from "./event.ts";
