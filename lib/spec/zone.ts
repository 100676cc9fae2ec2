/**
 * Time zones: which names are valid, and each zone's UTC offsets and the instants they
 * change, read once per zone and stretch of time from the runtime's tz data (Temporal's
 * transitions) and cached, so a lookup is a few comparisons.
 *
 * @module
 */

import { InvalidTimeZoneError } from "../errors.ts";
import { DATE_LIMIT_MS } from "../_util.ts";

/** Instants and offsets are in whole seconds. */
const SPAN = 2 ** 25; // about 388 days per cached stretch
const NS = 1_000_000_000n;
/** The farthest instant from 1970 a Date holds, in seconds. */
const DATE_LIMIT = DATE_LIMIT_MS / 1000;
/** tzdata names that Temporal lacks, and the zone with the same offsets. */
const SAME_AS = new Map([["Factory", "UTC"]]);
/**
 * The names found valid: a node starting compiles hundreds of thousands of specs in a few
 * zones, and reading a zone from Temporal takes microseconds.
 */
const VALID = new Set<string>();

/**
 * Checks that `timeZone` is an IANA zone name, spelt with the right case (`Europe/Paris`,
 * old aliases such as `US/Eastern` included). Offsets (`+05:30`) and host-dependent names
 * (`Local`, `localtime`, `posix/…`, `right/…`) are not zones.
 *
 * @throws {InvalidTimeZoneError} When it is not.
 *
 * @example
 * ```ts
 * import { throws } from "node:assert/strict";
 * import { validateTimeZone } from "./zone.ts";
 * validateTimeZone("Europe/Paris");
 * throws(() => validateTimeZone("europe/paris"));
 * ```
 */
export function validateTimeZone(timeZone: string): void {
  if (VALID.has(timeZone)) return;
  if (timeZone.startsWith("+") || timeZone.startsWith("-")) {
    throw invalid(timeZone, "an offset is not a zone");
  }
  let id: string | undefined;
  try {
    id = new Temporal.ZonedDateTime(0n, SAME_AS.get(timeZone) ?? timeZone)
      .timeZoneId;
  } catch {
    throw invalid(timeZone, "unknown");
  }
  if (!SAME_AS.has(timeZone) && id !== timeZone) {
    throw invalid(timeZone, `zone names are case-sensitive: write ${id}`);
  }
  VALID.add(timeZone);
}

const wallClocks = new Map<string, Intl.DateTimeFormat>();

/**
 * `date` as wall time in `zone` (an IANA name), `YYYY-MM-DD hh:mm:ss`, and that zone's
 * offset then, `+02:00`: what the command line and the console show. One formatter is
 * kept per zone name {@link validateTimeZone} accepts, so names from a request (the
 * console's preview) cannot grow the cache past the zones there are.
 *
 * @throws {InvalidTimeZoneError} When `zone` is not such a name (`europe/paris`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wallClock } from "./zone.ts";
 * const at = new Date("2025-06-02T07:30:00Z");
 * assert.deepEqual(wallClock(at, "Europe/Paris"), {
 *   text: "2025-06-02 09:30:00",
 *   offset: "+02:00",
 * });
 * assert.throws(() => wallClock(at, "europe/paris"), /case-sensitive/);
 * ```
 */
export function wallClock(
  date: Date,
  zone: string,
): { text: string; offset: string } {
  const parts: Record<string, string> = {};
  for (const { type, value } of wallClockFormat(zone).formatToParts(date)) {
    parts[type] = value;
  }
  return {
    text:
      `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`,
    offset: parts.timeZoneName.replace(/^GMT$/, "GMT+00:00").slice(3),
  };
}

/** The formatter of {@link wallClock} for `zone`, made once a valid name is first seen. */
function wallClockFormat(zone: string): Intl.DateTimeFormat {
  let format = wallClocks.get(zone);
  if (format === undefined) {
    validateTimeZone(zone);
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
      timeZoneName: "longOffset",
    });
    wallClocks.set(zone, format);
  }
  return format;
}

/** The stretch of time [start, start + SPAN): the offset at its start and its changes. */
interface Stretch {
  readonly start: number;
  /** Instants at which the offset changes, increasing. */
  readonly changes: number[];
  /** `offsets[0]` holds at `start`; `offsets[i + 1]` from `changes[i]` on. */
  readonly offsets: number[];
}

/**
 * One zone's UTC offsets (seconds to add to UTC for the wall time).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Zone } from "./zone.ts";
 * const paris = Zone.of("Europe/Paris");
 * const change = Date.UTC(2024, 2, 31, 1) / 1000;
 * strictEqual(paris.offset(change - 1), 3600);
 * strictEqual(paris.offset(change), 7200);
 * strictEqual(paris.nextChange(change - 3600, change + 3600), change);
 * ```
 */
export class Zone {
  static readonly #zones = new Map<string, Zone>();
  readonly #stretches = new Map<number, Stretch>();
  #last: Stretch;
  /** The offset if it never changes, else `undefined`. */
  readonly fixed: number | undefined;

  private constructor(readonly name: string) {
    this.#last = this.#stretch(0);
    const never = new Temporal.ZonedDateTime(-(BigInt(DATE_LIMIT) * NS), name)
      .getTimeZoneTransition("next");
    this.fixed = !never ? this.#last.offsets[0] : undefined;
  }

  /** The zone for a name that {@link validateTimeZone} accepts; one object per name. */
  static of(timeZone: string): Zone {
    const name = SAME_AS.get(timeZone) ?? timeZone;
    let zone = Zone.#zones.get(name);
    if (zone === undefined) Zone.#zones.set(name, zone = new Zone(name));
    return zone;
  }

  /** The offset at `instant`. */
  offset(instant: number): number {
    const { changes, offsets } = this.#at(instant);
    let i = 0;
    while (i < changes.length && changes[i] <= instant) i++;
    return offsets[i];
  }

  /** The first change in (`after`, `until`], or `Infinity`. */
  nextChange(after: number, until: number): number {
    for (let start = this.#at(after).start; start <= until; start += SPAN) {
      for (const change of this.#stretch(start / SPAN).changes) {
        if (change > after) return change <= until ? change : Infinity;
      }
    }
    return Infinity;
  }

  /**
   * The last change at or before `instant` within about a year, with the offset before
   * it, or `undefined`.
   */
  lastChange(instant: number): { at: number; before: number } | undefined {
    const here = this.#at(instant);
    for (
      const { changes, offsets } of [here, this.#stretch(here.start / SPAN - 1)]
    ) {
      for (let i = changes.length - 1; i >= 0; i--) {
        if (changes[i] <= instant) {
          return { at: changes[i], before: offsets[i] };
        }
      }
    }
    return undefined;
  }

  #at(instant: number): Stretch {
    const last = this.#last;
    if (instant >= last.start && instant < last.start + SPAN) return last;
    return this.#last = this.#stretch(Math.floor(instant / SPAN));
  }

  #stretch(index: number): Stretch {
    let stretch = this.#stretches.get(index);
    if (stretch === undefined) {
      stretch = this.#read(index * SPAN);
      this.#stretches.set(index, stretch);
    }
    return stretch;
  }

  #read(start: number): Stretch {
    // Temporal holds the instants a Date does: a stretch past either end is read from it.
    const from = Math.min(Math.max(start, -DATE_LIMIT), DATE_LIMIT);
    let at = new Temporal.ZonedDateTime(BigInt(from) * NS, this.name);
    const changes: number[] = [];
    const offsets = [Math.round(at.offsetNanoseconds / 1e9)];
    for (;;) {
      const next = at.getTimeZoneTransition("next");
      if (!next || next.epochMilliseconds >= (start + SPAN) * 1000) {
        return { start, changes, offsets };
      }
      changes.push(Math.ceil(next.epochMilliseconds / 1000));
      offsets.push(Math.round(next.offsetNanoseconds / 1e9));
      at = next;
    }
  }
}

function invalid(timeZone: string, reason: string): InvalidTimeZoneError {
  return new InvalidTimeZoneError(
    `time zone "${timeZone}": ${reason}; use an IANA name such as "Europe/Paris" or "UTC"`,
  );
}
