/**
 * The page of one key: its jobs and policies, next fire times, recent runs, revisions,
 * and the actions that steer it.
 *
 * @module
 */

import { maskHttpOption } from "../../jobs/http/job.ts";
import type { Definition, HttpOption, RunRecord } from "../../types.ts";
import type {
  Description,
  JobCounts,
  JobDescription,
  Revision,
} from "../../../mod.ts";
import { describeSpec } from "../describe.ts";
import { diffLines } from "../diff.ts";
import { absolute, relative } from "../format.ts";
import { type Html, html } from "../html.ts";
import type { IndexEntry } from "../index.ts";
import { csrfField, layout, type PageContext } from "./layout.ts";
import { strip, timeline } from "./runs.ts";

/**
 * The Schedule page of `entry`: `description` from `describe`, `runs` the key's last run
 * records (newest first) from `history`, `revisions` its last writes (newest first).
 *
 * @example
 * ```ts ignore
 * const page = schedulePage(
 *   context,
 *   entry,
 *   await client.describe(key),
 *   await client.history(key, { limit: 100 }),
 *   revisions,
 *   Date.now(),
 * );
 * ```
 */
export function schedulePage(
  context: PageContext,
  entry: IndexEntry,
  description: Description,
  runs: RunRecord[],
  revisions: Revision[],
  now: number,
): Html {
  const { key, definition, specs } = entry;
  const path = `/schedules/${encodeURIComponent(key)}`;
  const zone = specs[0].timeZone ?? "UTC";
  return layout(
    context,
    key,
    html`
      <h1><code>${key}</code></h1>
      ${stateSection(description, zone, now)}
      ${actions(context, path, definition, description)}
      <h2>Jobs</h2>
      <div id="jobs" data-live-part>${description.jobs.map((job) =>
        jobSection(job, specs[job.index]?.timeZone ?? zone, now)
      )}</div>
      <h2>Runs in the last 24 hours</h2>
      <div id="runs" data-live-part>${timeline(runs, now, zone)}</div>
      <h2>Revisions</h2>
      <div id="revisions" data-live-part>${revisionList(revisions, zone)}</div>
    `,
    `/live?key=${encodeURIComponent(key)}`,
  );
}

/** Whether `description` is paused (and why), its revision and its last write. */
function stateSection(
  description: Description,
  zone: string,
  now: number,
): Html {
  return html`
    <div id="state" data-live-part>
      <p>${description.paused
        ? html`<span class="badge" id="paused">paused</span> ${
          description.pause
            ? html`<span id="pause-note">${description.pause.note ?? ""}</span>
<span class="muted">— ${description.pause.by ?? "someone"}, ${
              relative(new Date(description.pause.at), new Date(now))
            }</span>`
            : ""
        }`
        : html`<span class="outcome-success">active</span>`} <span class="muted">· revision ${description
        .revision}, created ${absolute(
          description.created,
          zone,
        )}, updated ${relative(
          description.updated,
          new Date(now),
        )}${description.by ? ` by ${description.by}` : ""}</span></p>
    </div>
  `;
}

function jobSection(job: JobDescription, zone: string, now: number): Html {
  const { index, next, recent, running } = job;
  const option = job.mode === "HTTP"
    ? maskHttpOption(job.option as HttpOption)
    : job.option;
  return html`
    <section class="job" aria-labelledby="job-${index}">
      <h3
        id="job-${index}">Job ${index} · ${job.mode} · <code>${job
          .spec}</code></h3>
      <p>${describeSpec(job.spec)} <span class="muted">(${zone}${job.dst
        ? `, dst ${job.dst}`
        : ""})</span></p>
      <p>${strip(recent)} <span class="muted">${counted(
        job.counts,
      )}${running.length
        ? `, ${running.length} waiting to retry`
        : ""}</span></p>
      <details>
        <summary>Next ${next.length} fire times</summary>
        <ul class="times mono">${next.map((at) =>
          html`<li>${absolute(at, zone)} <span class="muted">(${
            relative(at, new Date(now))
          })</span></li>`
        )}</ul>
      </details>
      <details>
        <summary>Option and policies</summary>
        <pre>${JSON.stringify(
          { option, policy: job.policy ?? {} },
          null,
          2,
        )}</pre>
      </details>
    </section>
  `;
}

/** The counters of a job, in words. */
function counted(counts: JobCounts): string {
  const { fired, succeeded, failed, skipped, remaining } = counts;
  return `${fired} fired, ${succeeded} succeeded, ${failed} failed, ${skipped} skipped${
    remaining === undefined ? "" : `, ${remaining} left of maxRuns`
  }`;
}

function actions(
  context: PageContext,
  path: string,
  definition: Definition,
  description: Description,
): Html {
  if (!context.session.writer) {
    return context.writable
      ? html`<p><a href="/login?next=${
        encodeURIComponent(path)
      }">Sign in</a> to pause, trigger, edit or delete.</p>`
      : html``;
  }
  return html`<div class="actions">
${pauseOrResume(context, path, description.paused)}
${triggerForm(context, path, definition)}
${backfillForm(context, path)}
<p><a href="${path}/edit">Edit…</a></p>
${deleteForm(context, path)}
</div>`;
}

/** One action: a disclosed form that posts `body` to `path`/`action`. */
function actionForm(
  context: PageContext,
  path: string,
  action: string,
  label: string,
  body: Html,
  button = "",
): Html {
  return html`
    <details class="action">
      <summary>${label}…</summary>
      <form method="post" action="${path}/${action}">${csrfField(
        context,
      )}${body}
    <button type="submit" class="${button ||
      "primary"}">${label}</button></form>
    </details>
  `;
}

function pauseOrResume(
  context: PageContext,
  path: string,
  paused: boolean,
): Html {
  return paused
    ? actionForm(
      context,
      path,
      "resume",
      "Resume",
      html`<p>Ticks due while paused are not fired.</p>`,
    )
    : actionForm(
      context,
      path,
      "pause",
      "Pause",
      html`<div class="field"><label for="note">Note (why)</label>
<input id="note" name="note" maxlength="500" autocomplete="off"></div>`,
    );
}

function triggerForm(
  context: PageContext,
  path: string,
  definition: Definition,
): Html {
  const jobChoice = definition.jobs.length > 1
    ? html`<div class="field"><label for="index-trigger">Job</label>
<select id="index-trigger" name="index">${
      definition.jobs.map((_, i) => html`<option>${i}</option>`)
    }</select></div>`
    : "";
  return actionForm(
    context,
    path,
    "trigger",
    "Trigger now",
    html`${jobChoice}<p>Fires the job once, now.</p>`,
  );
}

function backfillForm(context: PageContext, path: string): Html {
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString().slice(0, 19);
  const now = new Date().toISOString().slice(0, 19);
  return actionForm(
    context,
    path,
    "backfill",
    "Backfill",
    html`<p>Fires every job's ticks in the range, both ends included; times that already have a tick or a run are left out.</p>
<div class="field"><label for="from">From (UTC)</label>
<input id="from" name="from" type="datetime-local" step="1" required value="${hourAgo}"></div>
<div class="field"><label for="to">To (UTC)</label>
<input id="to" name="to" type="datetime-local" step="1" required value="${now}"></div>`,
  );
}

function deleteForm(context: PageContext, path: string): Html {
  return actionForm(
    context,
    path,
    "delete",
    "Delete",
    html`<p>The key and its jobs are removed; its run history stays until it expires.</p>`,
    "danger",
  );
}

function revisionList(revisions: Revision[], zone: string): Html {
  return html`<ol class="revisions" reversed>${
    revisions.map((revision, i) =>
      revisionItem(revision, revisions[i + 1], zone)
    )
  }</ol>`;
}

/** The definition of `revision` as JSON, secrets masked ("" for none). */
function revisionText(revision?: Revision): string {
  return revision?.definition === undefined ? "" : JSON.stringify(
    {
      paused: revision.definition.paused,
      jobs: revision.definition.jobs.map((job) =>
        job.mode === "HTTP"
          ? { ...job, option: maskHttpOption(job.option as HttpOption) }
          : job
      ),
    },
    null,
    2,
  );
}

/** One revision, with its diff from `previous`. */
function revisionItem(
  revision: Revision,
  previous: Revision | undefined,
  zone: string,
): Html {
  const lines = diffLines(revisionText(previous), revisionText(revision));
  return html`<li><strong>${revision.operation}</strong>
r${revision.revision}, ${absolute(revision.at, zone)}${
    revision.by
      ? html`
        by <span class="by">${revision.by}</span>
      `
      : ""
  }${
    revision.note
      ? html`
        — <q>${revision.note}</q>
      `
      : ""
  }
${
    lines === null
      ? html`<p class="muted">Too many lines changed to show them.</p>`
      : html`<pre class="diff">${
        lines.map((line) =>
          html`<span class="${
            line.op === "+" ? "add" : line.op === "-" ? "del" : ""
          }">${line.op} ${line.text}</span>\n`
        )
      }</pre>`
  }</li>`;
}
