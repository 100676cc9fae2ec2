/**
 * The spec engine: robfig/cron v3's grammar (with seconds) and fire times on the wall
 * clock of a zone. See the README's "Spec grammar".
 *
 * @module
 */

export { nextRuns, parseSpec, type Spec, type SpecOptions } from "./spec.ts";
export type { DstRule } from "./cron.ts";
export { validateTimeZone } from "./zone.ts";
export { SpecCache } from "./cache.ts";
export { countTicks, firstTickAfter } from "./ticks.ts";
export { parseDuration } from "./duration.ts";
