/**
 * Private helpers shared across the library.
 *
 * @module
 */

/** True for a plain JSON object (not `null`, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const decoder = new TextDecoder();

/** The JSON value in `data`, or `undefined` when it is not JSON (data from elsewhere). */
export function jsonOf(data: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(data));
  } catch {
    return undefined;
  }
}

/**
 * Exponential backoff: `first` doubled for each attempt after the first, capped at `max`.
 * The node's publish retries and the worker's run retries both use it.
 */
export function backoff(attempt: number, first: number, max: number): number {
  return Math.min(max, first * 2 ** (attempt - 1));
}

/**
 * Resolves after `ms` (never when `Infinity`), or as soon as `signal` is aborted: at
 * once when it already is.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wait } from "./_util.ts";
 * const started = Date.now();
 * await wait(60_000, AbortSignal.abort());
 * await wait(Infinity, AbortSignal.timeout(10));
 * assert.ok(Date.now() - started < 1000);
 * ```
 */
export async function wait(ms: number, signal?: AbortSignal): Promise<void> {
  const { promise, resolve } = Promise.withResolvers<void>();
  const timer = ms === Infinity ? undefined : setTimeout(resolve, ms);
  const stopListening = onAbort(signal, resolve);
  await promise;
  clearTimeout(timer);
  stopListening();
}

/**
 * Calls `fn` once when `signal` aborts, or in a microtask when it already has (a listener
 * added then would never be called); returns the call that stops listening.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { onAbort } from "./_util.ts";
 * let calls = 0;
 * onAbort(AbortSignal.abort(), () => calls++);
 * const controller = new AbortController();
 * const stopListening = onAbort(controller.signal, () => calls++);
 * stopListening();
 * controller.abort();
 * await Promise.resolve();
 * assert.equal(calls, 1);
 * ```
 */
export function onAbort(
  signal: AbortSignal | undefined,
  fn: () => void,
): () => void {
  if (signal?.aborted) {
    queueMicrotask(fn);
    return () => {};
  }
  signal?.addEventListener("abort", fn, { once: true });
  return () => signal?.removeEventListener("abort", fn);
}

/**
 * `text` cut to `max` characters, ending with `…` when it was longer: long keys in error
 * messages and table cells.
 */
export function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `text` in double quotes for an error message, cut to 60 characters. */
export function quoted(text: string): string {
  return JSON.stringify(cut(text, 60));
}

/**
 * An ISO 8601 (RFC 3339) date, and time of day (after `T` or a space) with its offset
 * (`Z`, `+01:00`) or none.
 */
const ISO_TIME =
  /^(\d{4}-\d{2}-\d{2})(?:[Tt ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|z|[+-]\d{2}:\d{2})?)?$/;

/**
 * A time given as a `Date` or an ISO 8601 string, in epoch ms; `NaN` if neither. A time
 * without an offset is UTC, as a date alone is; nothing else is read (`Date.parse` would
 * read `2027-01-01 10:00`, or `Jan 1 2027`, in the host's zone, and hosts in different
 * zones would disagree).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { timeOf } from "./_util.ts";
 * assert.equal(timeOf("2027-01-01T10:00:00"), Date.UTC(2027, 0, 1, 10));
 * assert.equal(timeOf("2027-01-01 10:00"), Date.UTC(2027, 0, 1, 10));
 * assert.equal(timeOf("2027-01-01T10:00:00+01:00"), Date.UTC(2027, 0, 1, 9));
 * assert.equal(timeOf("2027-01-01"), Date.UTC(2027, 0, 1));
 * assert.ok(isNaN(timeOf("soon")));
 * assert.ok(isNaN(timeOf("Jan 1 2027")));
 * ```
 */
export function timeOf(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  const iso = typeof value === "string" ? ISO_TIME.exec(value) : null;
  if (iso === null) return NaN;
  const [, date, time, offset] = iso;
  return Date.parse(
    time === undefined
      ? date
      : `${date}T${time}${offset?.toUpperCase() ?? "Z"}`,
  );
}

/**
 * A whole number, 0 or more, as YAML (a number) or text (digits: a flag, a variable)
 * gives it; `NaN` for anything else, not coerced as `Number` would (`true`, `[1]`, `""`,
 * `0x1`, `1e0`).
 */
export function wholeNumberOf(value: unknown): number {
  if (typeof value === "number") {
    return Number.isInteger(value) && value >= 0 ? value : NaN;
  }
  return typeof value === "string" && /^\d+$/.test(value) ? Number(value) : NaN;
}

/** The farthest instant from 1970 a `Date` holds, either way, in epoch ms. */
export const DATE_LIMIT_MS = 8.64e15;
