/**
 * The spec engine's speed over the corpus: µs per next fire time, split into parsing and
 * stepping, zoned and UTC. Every step asks a new question (the fire time before it), so
 * the last-answer memo of a spec never answers.
 *
 *     deno task bench:spec
 *
 * @module
 */

import { nextRuns, parseSpec, type Spec } from "../lib/spec/mod.ts";

const PATH = new URL(
  "../../shared/spec-corpus/cron-corpus.jsonl",
  import.meta.url,
);
const ROUNDS = 5;

interface Row {
  spec: string;
  from: number;
  zoned: boolean;
}

const rows: Row[] = Deno.readTextFileSync(PATH).trim().split("\n")
  .map((line) => JSON.parse(line))
  .filter((row) => row.from !== undefined && row.expected.length === 5)
  .map((row) => ({
    spec: row.spec,
    from: Date.parse(row.from),
    zoned: /^(CRON_)?TZ=[^ ]/.test(row.spec),
  }));

/** Microseconds per call of `run` over `rows`, best of the rounds. */
function time(rows: Row[], run: (row: Row) => number): number {
  let best = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    let calls = 0;
    const start = performance.now();
    for (const row of rows) calls += run(row);
    best = Math.min(best, (performance.now() - start) * 1000 / calls);
  }
  return best;
}

function parse(row: Row): number {
  parseSpec(row.spec);
  return 1;
}

const compiled = new Map<Row, Spec>(
  rows.map((row) => [row, parseSpec(row.spec)]),
);
function step(row: Row): number {
  const spec = compiled.get(row)!;
  let after = row.from;
  for (let i = 0; i < 5; i++) after = spec.next(after, row.from)!;
  return 5;
}

function runs(row: Row): number {
  return nextRuns(row.spec, 5, new Date(row.from)).length;
}

const table = [["rows", "parse µs", "step µs", "nextRuns µs per next time"]];
for (
  const [name, part] of [
    ["all", rows],
    ["UTC", rows.filter((row) => !row.zoned)],
    ["zoned", rows.filter((row) => row.zoned)],
  ] as const
) {
  table.push([
    `${name} (${part.length})`,
    time(part, parse).toFixed(2),
    time(part, step).toFixed(2),
    time(part, runs).toFixed(2),
  ]);
}
for (const line of table) {
  console.log(
    line.map((cell, i) =>
      i === 0 ? cell.padEnd(14) : cell.padStart(i === 3 ? 26 : 9)
    ).join(" "),
  );
}
