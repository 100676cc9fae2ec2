/**
 * The Schedules page: every key, searched, filtered, sorted by next fire and paged.
 *
 * @module
 */

import type { Definition, RunRecord } from "../../types.ts";
import { describeSpec } from "../describe.ts";
import { absolute, relative } from "../format.ts";
import { type Html, html } from "../html.ts";
import { type IndexEntry, nextFire } from "../index.ts";
import { layout, type PageContext } from "./layout.ts";
import { outcome, strip } from "./runs.ts";

/** The keys shown per page. */
export const PAGE_SIZE = 50;

/** What the Schedules page is asked for. */
export interface ListQuery {
  /** Text the key or a spec contains. */
  q: string;
  /** Only paused keys, only keys whose last run failed, or all. */
  filter: "all" | "paused" | "failing";
  /** The page, from 1. */
  page: number;
}

/** One key of a page, with its next fire time. */
export interface Row {
  /** The key's entry. */
  entry: IndexEntry;
  /** Its next fire time in epoch ms, `null` for none. */
  next: number | null;
}

/**
 * The query of a Schedules page URL.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseListQuery } from "./schedules.ts";
 * const query = parseListQuery(new URL("http://x/?q=bill&filter=paused&page=2"));
 * assert.deepEqual(query, { q: "bill", filter: "paused", page: 2 });
 * ```
 */
export function parseListQuery(url: URL): ListQuery {
  const filter = url.searchParams.get("filter");
  const page = Number(url.searchParams.get("page") ?? 1);
  return {
    q: url.searchParams.get("q")?.trim() ?? "",
    filter: filter === "paused" || filter === "failing" ? filter : "all",
    page: Number.isInteger(page) && page > 0 ? page : 1,
  };
}

/**
 * The keys of one page: those that match `query`, soonest next fire first (keys that do
 * not fire after them, by key), and how many matched.
 *
 * @example
 * ```ts ignore
 * const { rows, total } = selectPage(index.values(), query, (entry) => runs.failing(entry), Date.now());
 * ```
 */
export function selectPage(
  entries: Iterable<IndexEntry>,
  query: ListQuery,
  failing: (entry: IndexEntry) => boolean,
  now: number,
): { rows: Row[]; total: number } {
  const text = query.q.toLowerCase();
  const matched: Row[] = [];
  for (const entry of entries) {
    if (query.filter === "paused" && !entry.definition.paused) continue;
    if (query.filter === "failing" && !failing(entry)) continue;
    if (
      text && !entry.key.toLowerCase().includes(text) &&
      !entry.definition.jobs.some((job) =>
        job.spec.toLowerCase().includes(text)
      )
    ) continue;
    matched.push({ entry, next: nextFire(entry, now) });
  }
  matched.sort((a, b) =>
    (a.next ?? Infinity) - (b.next ?? Infinity) ||
    (a.entry.key < b.entry.key ? -1 : 1)
  );
  const start = (query.page - 1) * PAGE_SIZE;
  return {
    rows: matched.slice(start, start + PAGE_SIZE),
    total: matched.length,
  };
}

/**
 * The Schedules page; `histories` holds the last 30 runs of each key shown, newest first.
 *
 * @example
 * ```ts ignore
 * const page = schedulesPage(context, query, selectPage(...), histories, Date.now());
 * ```
 */
export function schedulesPage(
  context: PageContext,
  query: ListQuery,
  { rows, total }: { rows: Row[]; total: number },
  histories: Map<string, RunRecord[]>,
  now: number,
): Html {
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  return layout(
    context,
    "Schedules",
    html`
      <h1>Schedules</h1>
      ${filtersForm(query)}
      <div id="schedules" data-live-part>
        <p class="muted">${total} ${total === 1
          ? "key"
          : "keys"}${total > PAGE_SIZE
          ? `, page ${query.page} of ${pages}`
          : ""}</p>
        ${scheduleTable(rows, histories, now)}
        ${pager(query, pages)}
      </div>
    `,
    "/live",
  );
}

function scheduleRow(
  { entry, next }: Row,
  runs: RunRecord[],
  now: number,
): Html {
  const { key, definition, specs } = entry;
  const [job] = definition.jobs;
  const zone = specs[0].timeZone ?? "UTC";
  const nextZone = zoneOfNext(entry, next, zone);
  const more = definition.jobs.length - 1;
  return html`
    <tr data-key="${key}">
      ${keyCell(key, definition)}
      <td><code>${job.spec}</code>${more > 0
        ? html`
          <span class="muted">+${more} more</span>
        `
        : ""}
    <div class="muted">${describeSpec(job.spec)}</div></td>
      <td class="hide-narrow">${zone}</td>
      ${nextCell(next, nextZone, now)}
      <td>${runs.length
        ? outcome(runs[0])
        : html`<span class="muted">none</span>`}</td>
      <td class="hide-narrow">${strip(runs)}</td>
    </tr>
  `;
}

function filtersForm(query: ListQuery): Html {
  const option = (value: string, label: string) =>
    html`
      <option value="${value}" ${query.filter === value
        ? " selected"
        : ""}>${label}</option>
    `;
  return html`
    <form class="filters" method="get" action="/" role="search">
      <div><label for="q">Search keys and specs</label>
            <input id="q" name="q" type="search" value="${query.q}"></div>
      <div><label for="filter">Show</label>
            <select id="filter" name="filter">${option("all", "All")}${option(
              "paused",
              "Paused",
            )}${option("failing", "Failing")}</select></div>
      <button type="submit">Apply</button>
    </form>
  `;
}

function pager(query: ListQuery, pages: number): Html {
  const link = (page: number) =>
    `/?${new URLSearchParams({
      q: query.q,
      filter: query.filter,
      page: String(page),
    })}`;
  return html`<nav class="pager" aria-label="Pages">${
    query.page > 1 ? html`<a href="${link(query.page - 1)}">← Previous</a>` : ""
  }${
    query.page < pages ? html`<a href="${link(query.page + 1)}">Next →</a>` : ""
  }</nav>`;
}

function scheduleTable(
  rows: Row[],
  histories: Map<string, RunRecord[]>,
  now: number,
): Html {
  return html`
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Spec</th>
            <th scope="col" class="hide-narrow">Zone</th>
            <th scope="col">Next</th>
            <th scope="col">Last run</th>
            <th scope="col" class="hide-narrow">Last 30</th>
          </tr>
        </thead>
        <tbody>${rows.map((row) =>
          scheduleRow(row, histories.get(row.entry.key) ?? [], now)
        )}</tbody>
      </table>
    </div>
  `;
}

/** The zone of the job that fires at `next` (the first job's, `zone`, if none). */
function zoneOfNext(
  { definition, specs }: IndexEntry,
  next: number | null,
  zone: string,
): string {
  return next === null
    ? zone
    : specs.find((spec) =>
      spec.next(next - 1, definition.anchor.getTime()) === next
    )?.timeZone ?? zone;
}

function keyCell(key: string, definition: Definition): Html {
  return html`
    <td
      class="key"><a href="/schedules/${encodeURIComponent(
        key,
      )}">${key}</a>${definition.paused
        ? html`
          <span class="badge" title="${definition.pause?.note ??
            ""}">paused${definition.pause?.note
            ? html`: ${definition.pause.note}`
            : ""}</span>
        `
        : ""}</td>
  `;
}

function nextCell(next: number | null, zone: string, now: number): Html {
  return html`<td>${
    next === null
      ? html`<span class="muted">—</span>`
      : html`${
        relative(new Date(next), new Date(now))
      }<div class="muted mono">${absolute(new Date(next), zone)}</div>`
  }</td>`;
}
