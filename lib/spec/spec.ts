/**
 * The spec engine: cron specs with the semantics of robfig/cron v3 (with seconds),
 * which the Go service this replaces used.
 *
 * Grammar:
 * - six fields `sec min hour dom month dow`, or five (`sec` is 0); `*`, `?`, numbers,
 *   names (`JAN`, `MON`), ranges `a-b`, lists `a,b`, steps `*\/n`, `a/n`, `a-b/n`;
 * - when day-of-month and day-of-week are both restricted a day matches either; a field
 *   that is `*`, `?` or `*\/1` counts as unrestricted (then the other field decides);
 * - descriptors `@yearly @annually @monthly @weekly @daily @midnight @hourly`;
 * - `@every <Go duration>`: ticks at `anchor + k * interval` (k >= 1), the interval
 *   truncated to whole seconds with a minimum of one second;
 * - a `CRON_TZ=Zone` or `TZ=Zone` prefix, or a zone passed beside the spec.
 *
 * In a zone, a tick is every instant whose wall-clock time there matches the spec, as in
 * robfig: a wall time skipped by a spring-forward change never fires, and one that occurs
 * twice in a fall-back change fires twice.
 *
 * Field matching is croner's, on UTC; this module adds the zone arithmetic, the grammar
 * checks, the descriptors and `@every`.
 *
 * @module
 */

import { Cron } from "croner";
import { parseDuration } from "./duration.ts";
import { InvalidSpecError, InvalidTimeZoneError } from "../errors.ts";

/** A compiled spec: computes fire times. Share one per distinct (spec, zone). */
export interface Spec {
  /** The spec as written, prefix included. */
  readonly source: string;
  /** The IANA zone the spec is read in, or `undefined` for UTC. */
  readonly timeZone: string | undefined;
  /**
   * The first fire time strictly after `after`, in epoch milliseconds, or `null` when
   * the spec never fires again. `anchor` (epoch ms) is where `@every` counts from;
   * cron specs ignore it.
   */
  next(after: number, anchor?: number): number | null;
}

const SECOND = 1000;

const DESCRIPTORS: Record<string, string> = {
  "@yearly": "0 0 0 1 1 *",
  "@annually": "0 0 0 1 1 *",
  "@monthly": "0 0 0 1 * *",
  "@weekly": "0 0 0 * * 0",
  "@daily": "0 0 0 * * *",
  "@midnight": "0 0 0 * * *",
  "@hourly": "0 0 * * * *",
};

const FIELD_NAMES = [
  "second",
  "minute",
  "hour",
  "day of month",
  "month",
  "day of week",
];
const PART =
  /^(?:\*(?:\/\d+)?|(?:\d+|[a-z]{3})(?:-(?:\d+|[a-z]{3}))?(?:\/\d+)?)$/i;
const ZONE_PREFIX = /^(?:CRON_TZ|TZ)=(\S*)\s*/;

/**
 * Checks that `timeZone` is an IANA zone the runtime knows.
 *
 * @throws {InvalidTimeZoneError} When it is not.
 *
 * @example
 * ```ts
 * import { validateTimeZone } from "./spec.ts";
 * validateTimeZone("Europe/Paris"); // ok
 * ```
 */
export function validateTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
  } catch {
    throw new InvalidTimeZoneError(
      `unknown time zone "${timeZone}": use an IANA name such as "Europe/Paris" or "UTC"`,
    );
  }
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
 * import { parseSpec } from "@x/schedule";
 * const spec = parseSpec("0 30 9 * * MON-FRI", "Europe/Paris");
 * new Date(spec.next(Date.parse("2024-01-01T00:00:00Z"))!); // 2024-01-01T08:30:00Z
 * ```
 */
export function parseSpec(source: string, timeZone?: string): Spec {
  const text = source.trim();
  const prefix = ZONE_PREFIX.exec(text);
  let zone = timeZone;
  let body = text;
  if (prefix) {
    if (!prefix[1]) {
      throw new InvalidSpecError(
        `spec "${source}": the zone after TZ= is empty`,
      );
    }
    if (zone !== undefined && zone !== prefix[1]) {
      throw new InvalidSpecError(
        `spec "${source}" names zone ${
          prefix[1]
        } but the job's tz is ${zone}: give the zone once`,
      );
    }
    zone = prefix[1];
    body = text.slice(prefix[0].length);
  }
  if (zone !== undefined) validateTimeZone(zone);
  if (!body) throw new InvalidSpecError(`spec "${source}" is empty`);
  if (body.startsWith("@every")) return new EverySpec(source, zone, body);
  return new CronSpec(source, zone, DESCRIPTORS[body.toLowerCase()] ?? body);
}

/**
 * The next `count` fire times of a spec after `from` (default: now). An `@every` spec is
 * anchored at `from`, as a definition set at that moment would be.
 *
 * @throws {InvalidSpecError} When the spec does not parse.
 * @throws {InvalidTimeZoneError} When its zone is unknown.
 *
 * @example
 * ```ts
 * import { nextRuns } from "@x/schedule";
 * nextRuns("0 30 9 * * MON-FRI", 3, new Date("2024-01-05T12:00:00Z"));
 * // [2024-01-08T09:30:00Z, 2024-01-09T09:30:00Z, 2024-01-10T09:30:00Z]
 * ```
 */
export function nextRuns(
  spec: string,
  count: number,
  from: Date = new Date(),
): Date[] {
  const compiled = parseSpec(spec);
  const anchor = Math.floor(from.getTime() / SECOND) * SECOND;
  const runs: Date[] = [];
  let after = from.getTime();
  while (runs.length < count) {
    const next = compiled.next(after, anchor);
    if (next === null) break;
    runs.push(new Date(next));
    after = next;
  }
  return runs;
}

/** Remembers the last answer, since every job sharing a spec asks the same question. */
abstract class MemoSpec implements Spec {
  #after = NaN;
  #anchor: number | undefined;
  #next: number | null = null;

  constructor(readonly source: string, readonly timeZone: string | undefined) {}

  next(after: number, anchor?: number): number | null {
    if (after !== this.#after || anchor !== this.#anchor) {
      this.#next = this.compute(after, anchor);
      this.#after = after;
      this.#anchor = anchor;
    }
    return this.#next;
  }

  protected abstract compute(after: number, anchor?: number): number | null;
}

class EverySpec extends MemoSpec {
  readonly #interval: number;

  constructor(source: string, timeZone: string | undefined, body: string) {
    super(source, timeZone);
    const duration = body.slice("@every".length).trim();
    if (!duration) {
      throw new InvalidSpecError(`spec "${source}": @every needs a duration`);
    }
    const ms = parseDuration(duration);
    if (!(ms > 0)) {
      throw new InvalidSpecError(
        `spec "${source}": the @every duration must be positive`,
      );
    }
    this.#interval = Math.max(SECOND, Math.floor(ms / SECOND) * SECOND);
  }

  protected compute(after: number, anchor = 0): number {
    const k = Math.max(1, Math.floor((after - anchor) / this.#interval) + 1);
    return anchor + k * this.#interval;
  }
}

class CronSpec extends MemoSpec {
  readonly #cron: Cron;
  readonly #wallClock: Intl.DateTimeFormat | undefined;

  constructor(source: string, timeZone: string | undefined, body: string) {
    super(source, timeZone);
    this.#cron = compileFields(source, body);
    this.#wallClock = timeZone === undefined
      ? undefined
      : new Intl.DateTimeFormat("en-US", {
        timeZone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
      });
  }

  protected compute(after: number): number | null {
    if (this.#wallClock === undefined) return this.#nextAtOffset(after, 0);
    // Walk from one UTC-offset period to the next: a candidate counts only when the zone
    // really has the offset it was computed with at that instant.
    let cursor = after;
    for (let period = 0; period < 16; period++) {
      const offset = this.#offset(
        Math.floor(cursor / SECOND) * SECOND + SECOND,
      );
      const candidate = this.#nextAtOffset(cursor, offset);
      if (candidate === null || this.#offset(candidate) === offset) {
        return candidate;
      }
      cursor = this.#changeAfter(cursor, candidate, offset) - 1;
    }
    return null;
  }

  /** The next instant after `after` whose wall time at a fixed offset matches. */
  #nextAtOffset(after: number, offset: number): number | null {
    const next = this.#cron.nextRun(new Date(after + offset));
    return next === null ? null : next.getTime() - offset;
  }

  /** The zone's UTC offset in milliseconds at `instant` (whole seconds). */
  #offset(instant: number): number {
    let year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    for (const part of this.#wallClock!.formatToParts(instant)) {
      const value = Number(part.value);
      switch (part.type) {
        case "year":
          year = value;
          break;
        case "month":
          month = value;
          break;
        case "day":
          day = value;
          break;
        case "hour":
          hour = value;
          break;
        case "minute":
          minute = value;
          break;
        case "second":
          second = value;
      }
    }
    const wall = Date.UTC(year, month - 1, day, hour, minute, second);
    return wall - Math.floor(instant / SECOND) * SECOND;
  }

  /** The first whole second in (from, to] at which the offset is no longer `offset`. */
  #changeAfter(from: number, to: number, offset: number): number {
    let low = Math.floor(from / SECOND) * SECOND;
    let high = to;
    while (high - low > SECOND) {
      const middle = Math.floor((low + high) / 2 / SECOND) * SECOND;
      if (this.#offset(middle) === offset) low = middle;
      else high = middle;
    }
    return high;
  }
}

/** Checks the robfig grammar, then hands the fields to croner in UTC. */
function compileFields(source: string, body: string): Cron {
  const fields = body.split(/\s+/);
  if (fields.length === 5) fields.unshift("0");
  if (fields.length !== 6) {
    throw new InvalidSpecError(
      `spec "${source}" has ${fields.length} fields: expected 6 (sec min hour dom month dow), ` +
        `5 (min hour dom month dow), a descriptor such as @daily, or @every <duration>`,
    );
  }
  const normalized = fields.map((field, index) => {
    const parts = field.split(",").map((part) => part.replace(/^\?/, "*"));
    for (const part of parts) {
      if (!PART.test(part)) {
        throw new InvalidSpecError(
          `spec "${source}": "${part}" in the ${
            FIELD_NAMES[index]
          } field is not a value, ` +
            `range (a-b), step (*/n, a-b/n) or name`,
        );
      }
    }
    // robfig: a day field holding * or */1 is unrestricted, whatever else it lists.
    const unrestricted = parts.some((part) => part === "*" || part === "*/1");
    return (index === 3 || index === 5) && unrestricted ? "*" : parts.join(",");
  });
  try {
    return new Cron(normalized.join(" "), { legacyMode: true, utcOffset: 0 });
  } catch (err) {
    throw new InvalidSpecError(`spec "${source}": ${(err as Error).message}`);
  }
}
