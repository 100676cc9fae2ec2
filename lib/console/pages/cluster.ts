/**
 * The Cluster page: the nodes and workers that answer discovery.
 *
 * @module
 */

import type { ProcessStatus } from "../../ops/discovery.ts";
import { span } from "../format.ts";
import { type Html, html } from "../html.ts";
import { layout, type PageContext } from "./layout.ts";

/**
 * The Cluster page; `maxOffset` is the clock offset (ms) beyond which a node stands by.
 *
 * @example
 * ```ts ignore
 * const page = clusterPage(context, await listProcesses(nc, "beta"), 1000);
 * ```
 */
export function clusterPage(
  context: PageContext,
  processes: ProcessStatus[],
  maxOffset: number,
): Html {
  return layout(
    context,
    "Cluster",
    html`
      <h1>Cluster</h1>
      <div id="processes" data-live-part>
        <p class="muted">${processes.length} processes answered discovery.</p>
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Id</th>
                <th scope="col">Role</th>
                <th scope="col">Version</th>
                <th scope="col">Uptime</th>
                <th scope="col">Readiness</th>
                <th scope="col">Ticks published</th>
                <th scope="col">Missed</th>
                <th scope="col">Lag</th>
                <th scope="col">Executions</th>
                <th scope="col">Clock offset</th>
              </tr>
            </thead>
            <tbody>${processes.map((p) => processRow(p, maxOffset))}</tbody>
          </table>
        </div>
      </div>
    `,
  );
}

/** A number for people, or a dash. */
function number(value: unknown): string {
  return typeof value === "number" ? value.toLocaleString("en") : "—";
}

/** The row of one process; `maxOffset` as for {@link clusterPage}. */
function processRow(p: ProcessStatus, maxOffset: number): Html {
  const offset = typeof p.clockOffsetMs === "number"
    ? p.clockOffsetMs
    : undefined;
  const ready = typeof p.ready === "boolean"
    ? p.ready
    : offset === undefined || Math.abs(offset) <= maxOffset;
  return html`
    <tr data-role="${p.role}">
      <td class="mono">${p.id}</td>
      <td>${p.role}</td>
      <td>${p.version}</td>
      <td>${span(p.uptime * 1000)}</td>
      <td class="${ready ? "outcome-success" : "outcome-failed"}">${ready
        ? "ready"
        : "not ready"}</td>
      <td>${number(p.published)}</td>
      <td>${number(p.missed)}</td>
      <td>${typeof p.lag === "number" ? `${p.lag} ms` : "—"}</td>
      <td>${number(p.executions ?? executions(p))}</td>
      <td>${offset === undefined ? "—" : `${offset} ms`}</td>
    </tr>
  `;
}

/** The runs a worker counted by outcome (workers that do not report `executions`). */
function executions(p: ProcessStatus): number | undefined {
  if (p.role !== "worker") return undefined;
  const outcomes = [
    "success",
    "retry",
    "failed",
    "superseded",
    "interrupted",
    "skipped",
    "cancelled",
  ];
  return outcomes.reduce((sum, outcome) => sum + (Number(p[outcome]) || 0), 0);
}
