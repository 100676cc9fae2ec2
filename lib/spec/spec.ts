/**
 * Specs: parsing one into something that computes its fire times.
 *
 * @module
 */

import { CronSteps, type DstRule } from "./cron.ts";
import { everyInterval, nextEvery } from "./every.ts";
import { parseSpecText } from "./grammar.ts";
import { validateTimeZone, Zone } from "./zone.ts";
import { InvalidSpecError, InvalidTimeZoneError } from "../errors.ts";
import { DATE_LIMIT_MS } from "../_util.ts";

/** A compiled spec: computes fire times. Share one per distinct (spec, zone, options). */
export interface Spec {
  /** The spec as written, prefix included. */
  readonly source: string;
  /** The IANA zone the spec is read in, or `undefined` for UTC. */
  readonly timeZone: string | undefined;
  /**
   * The first fire time strictly after `after`, in epoch milliseconds, or `null` when
   * the spec never fires again. `anchor` (epoch ms) is where `@every` counts from;
   * cron specs ignore it.
   *
   * @throws {RangeError} When `after` or `anchor` is not a time a `Date` can hold (`NaN`,
   * an infinity).
   */
  next(after: number, anchor?: number): number | null;
}

/** Options of {@link parseSpec}. */
export interface SpecOptions {
  /**
   * Wall times skipped or repeated by a DST change: `exact` (default) fires at each
   * instant whose wall time matches (a skipped time never, a repeated one twice); `once`
   * fires a skipped time at the instant of the jump, a repeated one the first time only.
   */
  dst?: DstRule;
}

/**
 * Compiles a spec. `timeZone` is the job's `tz` field; a spec may instead carry a
 * `CRON_TZ=` or `TZ=` prefix, but not both with different zones.
 *
 * @throws {InvalidSpecError} When the spec does not parse.
 * @throws {InvalidTimeZoneError} When the zone is unknown.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { parseSpec } from "@x/schedule";
 * const spec = parseSpec("0 30 9 * * MON-FRI", "Europe/Paris");
 * const next = spec.next(Date.parse("2024-01-01T00:00:00Z"));
 * strictEqual(new Date(next!).toISOString(), "2024-01-01T08:30:00.000Z");
 * ```
 */
export function parseSpec(
  source: string,
  timeZone?: string,
  options: SpecOptions = {},
): Spec {
  if (typeof source !== "string") {
    throw new InvalidSpecError(`a spec must be a string, not ${typeof source}`);
  }
  if (timeZone !== undefined && typeof timeZone !== "string") {
    throw new InvalidTimeZoneError(
      `a time zone must be a string such as "Europe/Paris", not ${typeof timeZone}`,
    );
  }
  const parsed = parseSpecText(source);
  const zone = specZone(source, parsed.zone, timeZone);
  if (parsed.every !== undefined) {
    if (parsed.every <= 0n) {
      throw new InvalidSpecError(
        `spec "${source}": the @every duration must be positive`,
      );
    }
    return new EverySpec(source, zone, everyInterval(parsed.every));
  }
  const steps = new CronSteps(
    parsed.fields!,
    zone === undefined ? undefined : Zone.of(zone),
    options?.dst ?? "exact",
  );
  return new CronSpec(source, zone, steps);
}

/** The most fire times one {@link nextRuns} call gives. */
export const MAX_NEXT_RUNS = 1_000_000;

/**
 * The next `count` fire times of a spec after `from` (default: now); `[]` for a spec that
 * never fires. An `@every` spec is anchored at `from`, as a definition set at that moment
 * would be. `count` is a whole number from 1 to {@link MAX_NEXT_RUNS} (1,000,000).
 *
 * @throws {InvalidSpecError} When the spec does not parse, `from` is not a valid `Date`,
 * or `count` is not a whole number from 1 to {@link MAX_NEXT_RUNS}.
 * @throws {InvalidTimeZoneError} When its zone is unknown.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { nextRuns } from "@x/schedule";
 * const runs = nextRuns("0 30 9 * * MON-FRI", 2, new Date("2024-01-05T12:00:00Z"));
 * deepStrictEqual(runs.map((run) => run.toISOString()), [
 *   "2024-01-08T09:30:00.000Z",
 *   "2024-01-09T09:30:00.000Z",
 * ]);
 * ```
 */
export function nextRuns(
  spec: string,
  count: number,
  from: Date = new Date(),
  options?: SpecOptions,
): Date[] {
  checkPreview(count, from);
  const compiled = parseSpec(spec, undefined, options);
  const anchor = Math.floor(from.getTime() / 1000) * 1000;
  const runs: Date[] = [];
  let after = from.getTime();
  while (runs.length < count) {
    const next = compiled.next(after, anchor);
    if (next === null || next > DATE_LIMIT_MS) break;
    runs.push(new Date(next));
    after = next;
  }
  return runs;
}

/** Refuses a `count` or `from` of {@link nextRuns} that is not one. */
function checkPreview(count: number, from: Date): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_NEXT_RUNS) {
    throw new InvalidSpecError(
      `nextRuns: count must be a whole number from 1 to ${MAX_NEXT_RUNS}, not ${count}`,
    );
  }
  if (!(from instanceof Date) || isNaN(from.getTime())) {
    throw new InvalidSpecError("nextRuns: from must be a valid Date");
  }
}

/** The zone of a prefix or of the job's `tz`, checked; `undefined` for UTC. */
function specZone(
  source: string,
  prefix: string | undefined,
  timeZone: string | undefined,
): string | undefined {
  if (prefix !== undefined && timeZone !== undefined && prefix !== timeZone) {
    throw new InvalidSpecError(
      `spec "${source}" names zone "${prefix}" but the job's tz is ${timeZone}: give the zone once`,
    );
  }
  const zone = prefix ?? timeZone;
  if (zone === undefined || prefix === "") return undefined; // `TZ= ` is UTC
  validateTimeZone(zone);
  return zone;
}

/**
 * Remembers the last answer, since every job sharing a spec asks the same question. Each
 * kind of spec is a subclass rather than a closure: a node holds up to hundreds of
 * thousands of them.
 */
abstract class MemoSpec implements Spec {
  #after = NaN;
  #anchor: number | undefined;
  #next: number | null = null;

  constructor(
    readonly source: string,
    readonly timeZone: string | undefined,
  ) {}

  /** The answer of {@link next}, computed. */
  protected abstract compute(after: number, anchor?: number): number | null;

  next(after: number, anchor?: number): number | null {
    if (after !== this.#after || anchor !== this.#anchor) {
      // NaN, an infinity or a time past a Date's range would search for ever.
      if (
        !inDateRange(after) || (anchor !== undefined && !inDateRange(anchor))
      ) {
        throw new RangeError(
          `next: after and anchor must be times in epoch ms within a Date's range, not ${after} and ${anchor}`,
        );
      }
      this.#next = this.compute(after, anchor);
      this.#after = after;
      this.#anchor = anchor;
    }
    return this.#next;
  }
}

/** `@every`: ticks at a constant interval from the anchor. */
class EverySpec extends MemoSpec {
  constructor(
    source: string,
    timeZone: string | undefined,
    readonly interval: number,
  ) {
    super(source, timeZone);
  }

  protected compute(after: number, anchor = 0): number | null {
    return nextEvery(this.interval, after, anchor);
  }
}

/** A cron spec: its steps work in whole seconds. */
class CronSpec extends MemoSpec {
  constructor(
    source: string,
    timeZone: string | undefined,
    readonly steps: CronSteps,
  ) {
    super(source, timeZone);
  }

  protected compute(after: number): number | null {
    const next = this.steps.next(Math.floor(after / 1000) + 1);
    return next === null ? null : next * 1000;
  }
}

/** Whether `time` (epoch ms) is one a `Date` can hold. */
function inDateRange(time: number): boolean {
  return Math.abs(time) <= DATE_LIMIT_MS;
}
