/**
 * robfig/cron v3's spec grammar (its parser with seconds): zone prefix, descriptors,
 * `@every`, and six white-space separated fields (five are an extension: seconds 0).
 *
 * @module
 */

import { type Field, FIELDS, parseField } from "./field.ts";
import { parseNanoseconds } from "./duration.ts";
import { InvalidSpecError } from "../errors.ts";

/** What a spec says, before its zone is checked. */
export interface ParsedSpec {
  /** The zone of a `CRON_TZ=`/`TZ=` prefix (`""`: UTC), or `undefined` without one. */
  readonly zone: string | undefined;
  /** The six compiled fields of a cron spec or descriptor. */
  readonly fields?: readonly Field[];
  /** The `@every` duration in nanoseconds. */
  readonly every?: bigint;
}

/** Go's `unicode.IsSpace`: ASCII and Latin-1 space, and Unicode's White_Space (no U+FEFF). */
const SPACE =
  "\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000";
const SPACES = new RegExp(`[${SPACE}]+`);
const IS_SPACE = new RegExp(`^[${SPACE}]$`);

/** Whether `text` begins or ends with white space. */
const edged = (text: string) =>
  IS_SPACE.test(text.charAt(0)) || IS_SPACE.test(text.charAt(text.length - 1));

/**
 * `text` without white space before or after, as Go's `strings.TrimSpace`, in time linear
 * in its length (a regular expression for both ends took time growing with the square of
 * a run of white space inside: seconds for a spec of 60,000 characters).
 */
function trimSpace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && IS_SPACE.test(text[start])) start++;
  while (end > start && IS_SPACE.test(text[end - 1])) end--;
  return text.slice(start, end);
}

const DESCRIPTORS = new Map([
  ["@yearly", "0 0 0 1 1 *"],
  ["@annually", "0 0 0 1 1 *"],
  ["@monthly", "0 0 0 1 * *"],
  ["@weekly", "0 0 0 * * 0"],
  ["@daily", "0 0 0 * * *"],
  ["@midnight", "0 0 0 * * *"],
  ["@hourly", "0 0 * * * *"],
]);
const EVERY = "@every ";

/**
 * Parses a spec's text.
 *
 * @throws {InvalidSpecError} Naming the spec and what is wrong.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { parseSpecText } from "./grammar.ts";
 * strictEqual(parseSpecText("TZ=Asia/Tokyo @every 1m").every, 60_000_000_000n);
 * strictEqual(parseSpecText("TZ=Asia/Tokyo @every 1m").zone, "Asia/Tokyo");
 * ```
 */
export function parseSpecText(source: string): ParsedSpec {
  if (source === "") throw new InvalidSpecError("the spec is empty");
  let zone: string | undefined;
  // The schedule as written, and as robfig reads it: trimmed after a zone prefix only.
  let body = source;
  let text = source;
  if (source.startsWith("TZ=") || source.startsWith("CRON_TZ=")) {
    const space = source.indexOf(" ");
    if (space < 0) {
      throw new InvalidSpecError(
        `spec "${source}": the zone prefix must be followed by a space and the schedule`,
      );
    }
    zone = source.slice(source.indexOf("=") + 1, space);
    body = source.slice(space + 1);
    text = trimSpace(body);
  }
  if (text.startsWith("@")) return { zone, ...parseDescriptor(source, text) };
  const texts = text.split(SPACES).filter((field) => field !== "");
  // The five-field extension; with white space around it (after the one space that ends
  // a zone prefix), five fields look like six with one left out, so robfig's rule (an
  // error) stands.
  if (texts.length === 5 && !edged(body)) texts.unshift("0");
  if (texts.length !== 6) {
    const edged = texts.length === 5 ? " with white space before or after" : "";
    throw new InvalidSpecError(
      `spec "${source}" has ${texts.length} fields${edged}: expected 6 (sec min hour dom month dow), ` +
        `5 (min hour dom month dow, nothing around them), a descriptor such as @daily, or @every <duration>`,
    );
  }
  return { zone, fields: parseFields(source, texts) };
}

/**
 * Compiles the six field texts of `source`.
 *
 * @throws {InvalidSpecError} Naming the spec, the field and the item.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { parseFields } from "./grammar.ts";
 * const fields = parseFields("s", ["0", "*\/15", "*", "*", "*", "*"]);
 * strictEqual(fields[1].mask.next(16), 30);
 * ```
 */
export function parseFields(
  source: string,
  texts: readonly string[],
): Field[] {
  return texts.map((text, i) => parseField(source, text, FIELDS[i]));
}

function parseDescriptor(
  source: string,
  body: string,
): Pick<ParsedSpec, "fields" | "every"> {
  const fields = DESCRIPTORS.get(body);
  if (fields !== undefined) {
    return { fields: parseFields(source, fields.split(" ")) };
  }
  if (body.startsWith(EVERY)) {
    try {
      return { every: parseNanoseconds(body.slice(EVERY.length)) };
    } catch (err) {
      throw new InvalidSpecError(`spec "${source}": ${(err as Error).message}`);
    }
  }
  throw new InvalidSpecError(
    `spec "${source}": "${body}" is not a descriptor: use @yearly, @annually, @monthly, ` +
      `@weekly, @daily, @midnight, @hourly or @every <duration>, in lower case`,
  );
}
