/**
 * How runs are drawn: an outcome word, a strip of outcomes, a 24 h timeline, a table.
 *
 * @module
 */

import type { RunRecord } from "../../types.ts";
import { absolute, span } from "../format.ts";
import { type Html, html } from "../html.ts";
import { triggerOf } from "../../wire/mod.ts";

/**
 * A run's outcome, coloured, with its HTTP status.
 *
 * @example
 * ```ts ignore
 * html`<td>${outcome(run)}</td>`;
 * ```
 */
export function outcome(run: RunRecord): Html {
  return html`<span class="outcome-${run.outcome}">${run.outcome}${
    run.status ? ` (${run.status})` : ""
  }</span>`;
}

/**
 * What fired a run: a badge for a manual trigger or a backfill, a muted word for the
 * spec.
 *
 * @example
 * ```ts ignore
 * html`<td>${trigger(run)}</td>`;
 * ```
 */
export function trigger(run: RunRecord): Html {
  const by = triggerOf(run);
  return by === "schedule"
    ? html`<span class="muted">schedule</span>`
    : html`<span class="badge trigger">${by}</span>`;
}

/**
 * The outcomes of `runs` (newest first) as a strip of marks, oldest on the left.
 *
 * @example
 * ```ts ignore
 * html`<td>${strip(runs)}</td>`;
 * ```
 */
export function strip(runs: RunRecord[]): Html {
  const marks = [...runs].reverse().map((run) =>
    html`<i class="${run.outcome}" title="${run.outcome} ${run.scheduledAt.toISOString()}${
      run.trigger && run.trigger !== "schedule" ? ` (${run.trigger})` : ""
    }"></i>`
  );
  return html`<span class="strip" role="img" aria-label="${
    summary(runs)
  }">${marks}</span>`;
}

function summary(runs: RunRecord[]): string {
  const counts = new Map<string, number>();
  for (const run of runs) {
    counts.set(run.outcome, (counts.get(run.outcome) ?? 0) + 1);
  }
  return runs.length
    ? `last ${runs.length} runs: ${
      [...counts].map(([o, n]) => `${n} ${o}`).join(", ")
    }`
    : "no runs";
}

/** A day in ms: the span of the time line. */
const DAY = 86_400_000;

/**
 * The runs of the last 24 h before `now` on a time line, and their table.
 *
 * @example
 * ```ts ignore
 * html`${timeline(runs, Date.now(), "UTC")}`;
 * ```
 */
export function timeline(runs: RunRecord[], now: number, zone: string): Html {
  const recent = runs.filter((run) => run.startedAt.getTime() > now - DAY);
  const marks = recent.map((run) => mark(run, now, zone));
  return html`
    <svg class="timeline" viewBox="-4 0 1008 24" preserveAspectRatio="none"
      role="img" aria-label="${summary(
        recent,
      )} in the last 24 hours">${marks}</svg>
    <div class="axis"><span>24h ago</span><span>12h ago</span><span>now</span></div>
    <div class="scroll">
      <table class="runs">
        <thead>
          <tr>
            <th scope="col">Scheduled</th>
            <th scope="col">Job</th>
            <th scope="col">Outcome</th>
            <th scope="col">Attempt</th>
            <th scope="col">Duration</th>
            <th scope="col">Trigger</th>
            <th scope="col">Response</th>
          </tr>
        </thead>
        <tbody>${recent.map((run) => runRow(run, zone))}</tbody>
      </table>
    </div>
  `;
}

/** A run on the 24 h line ending at `now`. */
function mark(run: RunRecord, now: number, zone: string): Html {
  const x = ((run.startedAt.getTime() - (now - DAY)) / DAY) * 1000;
  return html`
    <rect class="${run.outcome}" x="${x.toFixed(
      1,
    )}" y="4" width="4" height="16">
      <title>${run.outcome} at ${absolute(run.startedAt, zone)}</title>
    </rect>
  `;
}

/** A run in the table under the line. */
function runRow(run: RunRecord, zone: string): Html {
  return html`
    <tr class="run">
      <td class="mono">${absolute(run.scheduledAt, zone)}</td>
      <td>${run.index}</td>
      <td>${outcome(run)}</td>
      <td>${run.attempt}</td>
      <td>${span(run.durationMs)}</td>
      <td>${trigger(run)}</td>
      <td><code>${(run.error ?? run.response ?? "").slice(
        0,
        200,
      )}</code></td>
    </tr>
  `;
}
