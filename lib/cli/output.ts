/**
 * What the admin commands print: a table (`-o wide` adds detail and shows absolute
 * times), JSON or YAML.
 *
 * @module
 */

import { type Command, Option } from "commander";
import { stringify } from "yaml";
import { table } from "./table.ts";

/** How a table shows times: relative to `now`, or absolute in each job's zone. */
export interface View {
  /** The time relative times count from, in epoch ms. */
  now: number;
  /** Absolute times in the job's zone instead of relative ones (`--zone`, `-o wide`). */
  absolute: boolean;
  /** Extra columns (`-o wide`). */
  wide: boolean;
}

/** What a command shows: a value (JSON or YAML), or the rows of a table. */
export interface Shown {
  /** The value `-o json` and `-o yaml` print. */
  value: unknown;
  /** The rows of the table printed otherwise, the header first. */
  rows: (view: View) => string[][];
  /** Lines printed as they are instead of a table (a `describe`), when given. */
  lines?: (view: View) => string[];
  /** Why the command fails after showing `value`: it then exits non-zero. */
  failure?: string;
}

/** The output flags of a command: `-o`, its alias `--json`, and `--zone` if it has it. */
export interface OutputFlags {
  /** `json`, `yaml` or `wide`; a table when left out. */
  output?: "json" | "yaml" | "wide";
  /** Same as `-o json`. */
  json?: boolean;
  /** Absolute times in the job's zone. */
  zone?: boolean;
}

/** Adds `-o, --output` and `--json` to `command`. */
export function withOutput(command: Command): Command {
  return command
    .addOption(
      new Option("-o, --output <format>", "print json, yaml, or a wide table")
        .choices(["json", "yaml", "wide"]),
    )
    .option("--json", "same as -o json");
}

/**
 * Prints what a command shows in the format of `flags`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { print } from "./output.ts";
 *
 * const lines: string[] = [];
 * const shown = { value: { key: "a" }, rows: () => [["KEY"], ["a"]] };
 * print(shown, { output: "yaml" }, (line) => lines.push(line));
 * print(shown, {}, (line) => lines.push(line));
 * assert.deepEqual(lines, ["key: a", "KEY", "a"]);
 * ```
 */
export function print(
  shown: Shown,
  flags: OutputFlags,
  write: (line: string) => void = console.log,
): void {
  const format = flags.json ? "json" : flags.output;
  if (format === "json") write(JSON.stringify(shown.value, null, 2));
  else if (format === "yaml") write(yamlOf(shown.value));
  else {
    const wide = format === "wide";
    const view = { now: Date.now(), absolute: wide || !!flags.zone, wide };
    if (shown.lines) return shown.lines(view).forEach((line) => write(line));
    const rows = shown.rows(view);
    if (rows.length > 0) table(rows).forEach((line) => write(line));
  }
}

/**
 * `value` as YAML, as `-o yaml` prints it: as JSON would give it (dates as ISO strings),
 * strings double-quoted as JSON (plain and block scalars lose some whitespace, `"\n \n"`
 * read back as `"\n\n"`, and `set --file` reads this back).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { yamlOf } from "./output.ts";
 * assert.equal(yamlOf({ key: "a", at: new Date(0) }), "key: a\nat: 1970-01-01T00:00:00.000Z");
 * ```
 */
export function yamlOf(value: unknown): string {
  return stringify(JSON.parse(JSON.stringify(value)), {
    doubleQuotedAsJSON: true,
    blockQuote: false,
  }).trimEnd();
}
