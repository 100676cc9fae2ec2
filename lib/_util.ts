/**
 * Private helpers shared across the library.
 *
 * @module
 */

/** True for a plain JSON object (not `null`, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Exponential backoff: `first` doubled for each attempt after the first, capped at `max`.
 * The node's publish retries and the worker's run retries both use it.
 */
export function backoff(attempt: number, first: number, max: number): number {
  return Math.min(max, first * 2 ** (attempt - 1));
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
