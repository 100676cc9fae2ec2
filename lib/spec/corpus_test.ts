import { fail } from "node:assert/strict";
import { nextRuns } from "./spec.ts";

const PATH = new URL(
  "../../../shared/spec-corpus/cron-corpus.jsonl",
  import.meta.url,
);

interface Row {
  spec: string;
  from?: string;
  expected?: string[];
  valid?: boolean | "extension";
}

/** The corpus rows, or `undefined` when the file is not there. */
function readRows(): Row[] | undefined {
  try {
    const text = Deno.readTextFileSync(PATH);
    return text.trim().split("\n").map((line) => JSON.parse(line));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/** What the engine answers for a row, as the row writes it. */
function answer(row: Row): string {
  try {
    const runs = nextRuns(
      row.spec,
      row.from === undefined ? 1 : 5,
      new Date(row.from ?? 0),
    );
    if (row.from === undefined) return "valid";
    return JSON.stringify(
      runs.map((run) => run.toISOString().replace(".000Z", "Z")),
    );
  } catch (err) {
    return row.from === undefined
      ? "invalid"
      : `${(err as Error).name}: ${(err as Error).message}`;
  }
}

function expected(row: Row): string | undefined {
  if (row.from !== undefined) return JSON.stringify(row.expected);
  if (row.valid === "extension") return undefined;
  return row.valid ? "valid" : "invalid";
}

const rows = readRows();

Deno.test({
  name: `every row of the spec corpus (${PATH.pathname})`,
  ignore: rows === undefined,
  fn() {
    const failures: string[] = [];
    for (const row of rows!) {
      const want = expected(row);
      if (want === undefined) continue;
      const got = answer(row);
      if (got !== want) {
        failures.push(
          `spec ${JSON.stringify(row.spec)} from ${
            row.from ?? "-"
          }\n  expected ${want}\n  got      ${got}`,
        );
      }
    }
    if (failures.length > 0) {
      fail(
        `${failures.length} of ${rows!.length} rows fail; the first 20:\n` +
          failures.slice(0, 20).join("\n"),
      );
    }
  },
});

if (rows === undefined) {
  console.warn(`spec corpus test ignored: ${PATH.pathname} is not there`);
}
