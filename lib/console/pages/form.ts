/**
 * The form that creates or edits a key: one set of fields per job (spec with a preview
 * of its next fire times, zone, and for HTTP jobs the URL, method, body and overlap
 * policy). Header values are never shown: an edit keeps them as they are; nor are a URL's
 * credentials, which show as `***` and are kept while they do.
 *
 * @module
 */

import { InvalidJobError } from "../../errors.ts";
import { redactUrlCredentials } from "../../ops/redact.ts";
import type { HttpOption, Job } from "../../types.ts";
import { maskedCredentials, ownHeaderNames } from "../../jobs/http/job.ts";
import { type Html, html } from "../html.ts";
import { csrfField, layout, type PageContext } from "./layout.ts";

/** The form's fields, by name (`spec.0`, `url.0`, ...), as typed. */
export type FormValues = Record<string, string>;

const METHODS = ["POST", "GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const OVERLAPS = ["allow", "skip", "buffer", "cancel"];

/**
 * The fields of `jobs`, to fill the edit form; a URL's credentials show as `***`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formValues } from "./form.ts";
 * const values = formValues([{ mode: "HTTP", spec: "@hourly", option: { url: "https://bot:pw@a.example/x" } }]);
 * assert.equal(values["spec.0"], "@hourly");
 * assert.equal(values["url.0"], "https://***@a.example/x");
 * ```
 */
export function formValues(jobs: Job[]): FormValues {
  const values: FormValues = {};
  jobs.forEach((job, i) => {
    values[`spec.${i}`] = job.spec;
    values[`tz.${i}`] = job.tz ?? "";
    values[`overlap.${i}`] = job.policy?.overlap ?? "allow";
    if (job.mode !== "HTTP") return;
    const option = job.option as HttpOption;
    values[`url.${i}`] = redactUrlCredentials(option.url);
    values[`method.${i}`] = option.method ?? "POST";
    values[`body.${i}`] = option.body === undefined
      ? ""
      : JSON.stringify(option.body, null, 2);
  });
  return values;
}

/**
 * The jobs the form describes: `existing` (the key's jobs, or none for a new key) with
 * the typed fields applied; header values and other fields are kept, and so are a URL's
 * credentials where it still shows them as `***` (see {@link keptCredentials}). The
 * client's `set` validates them.
 *
 * @throws {InvalidJobError} When a body is not JSON, a URL shows credentials as `***`
 * for another origin than the job's, or moves a job with headers to another origin.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jobsFromForm } from "./form.ts";
 * const jobs = jobsFromForm({ "spec.0": "@daily", "url.0": "https://a.example", "method.0": "GET" }, []);
 * assert.deepEqual(jobs, [{ mode: "HTTP", spec: "@daily", option: { url: "https://a.example", method: "GET" } }]);
 * ```
 */
export function jobsFromForm(values: FormValues, existing: Job[]): Job[] {
  const count = Math.max(existing.length, 1);
  return Array.from({ length: count }, (_, i) => {
    const before: Job = existing[i] ?? { mode: "HTTP", spec: "", option: {} };
    const job: Job = {
      ...before,
      spec: values[`spec.${i}`]?.trim() ?? before.spec,
    };
    const tz = values[`tz.${i}`]?.trim();
    delete job.tz;
    if (tz) job.tz = tz;
    // An overlap left as shown leaves the policy as stored (an `allow` said, or `{}`).
    const overlap = values[`overlap.${i}`];
    if (overlap && overlap !== (before.policy?.overlap ?? "allow")) {
      const { overlap: _overlap, ...policy } = before.policy ?? {};
      if (overlap !== "allow") Object.assign(policy, { overlap });
      delete job.policy;
      if (Object.keys(policy).length > 0) job.policy = policy;
    }
    if (job.mode !== "HTTP") return job;
    const option: HttpOption = { ...(before.option as HttpOption) };
    const url = values[`url.${i}`]?.trim();
    if (url !== undefined) {
      option.url = keptCredentials(i, url, option.url);
      keptHeadersStay(i, option, (before.option as HttpOption).url);
    }
    // A method left as shown (POST for a job that names none) is kept as stored.
    const method = values[`method.${i}`];
    if (method && method !== (option.method ?? "POST")) {
      option.method = method as HttpOption["method"];
    }
    const body = values[`body.${i}`]?.trim();
    delete option.body;
    if (body) {
      try {
        option.body = JSON.parse(body);
      } catch {
        throw new InvalidJobError(`job ${i}: the body is not JSON`);
      }
    }
    return { ...job, option };
  });
}

/**
 * Refuses to send the headers of job `i`, whose values the form never shows (nor the
 * secrets its `secretHeaders` name), to another origin than its `stored` URL's: whoever
 * edits would get them there.
 *
 * @throws {InvalidJobError} When `option.url` has another origin, and the job headers.
 */
function keptHeadersStay(
  i: number,
  option: HttpOption,
  stored: string | undefined,
): void {
  const names = ownHeaderNames(option);
  const before = stored === undefined ? null : URL.parse(stored);
  const after = URL.parse(option.url ?? "");
  if (
    names.length === 0 || before === null || after?.origin === before.origin
  ) {
    return;
  }
  throw new InvalidJobError(
    `job ${i}: its headers (${
      names.join(", ")
    }) are sent to ${before.origin} only, and the console does not show their values: change its URL's origin with the client or \`schedule set\``,
  );
}

/**
 * The URL typed for job `i`, with the credentials of its `stored` URL put back where it
 * shows them as `***`, as the form does: as stored when unchanged, else in the URL typed
 * if it has the stored one's origin (they are not sent to another host).
 *
 * @throws {InvalidJobError} When `***` stands for credentials of another origin, or none.
 */
function keptCredentials(
  i: number,
  typed: string,
  stored: string | undefined,
): string {
  if (!maskedCredentials(typed)) return typed;
  const url = new URL(typed);
  if (stored !== undefined && typed === redactUrlCredentials(stored)) {
    return stored;
  }
  const before = stored === undefined ? null : URL.parse(stored);
  const had = before !== null &&
    (before.username !== "" || before.password !== "");
  if (!had) {
    throw new InvalidJobError(
      `job ${i}: the URL's *** stands for stored credentials, and it has none: type them in full`,
    );
  }
  if (before.origin !== url.origin) {
    throw new InvalidJobError(
      `job ${i}: the URL's *** keeps the credentials of ${before.origin} only: type them in full for ${url.origin}`,
    );
  }
  url.username = before.username;
  url.password = before.password;
  return url.href;
}

/** What the form shows. */
export interface FormState {
  /** The key edited; a new key when unset. */
  key?: string;
  /** The revision edited, checked when saving. */
  revision?: number;
  /** The key's jobs (none for a new key). */
  jobs: Job[];
  /** The fields as typed. */
  values: FormValues;
  /** Why the last try was refused. */
  error?: string;
}

/**
 * The create or edit page.
 *
 * @example
 * ```ts ignore
 * const page = formPage(context, { jobs: [], values: {} });
 * ```
 */
export function formPage(context: PageContext, state: FormState): Html {
  const { key, jobs, values, error, revision } = state;
  const count = Math.max(jobs.length, 1);
  const action = key === undefined
    ? "/schedules"
    : `/schedules/${encodeURIComponent(key)}/edit`;
  return layout(
    context,
    key === undefined ? "New schedule" : `Edit ${key}`,
    html`<h1>${
      key === undefined ? "New schedule" : html`Edit <code>${key}</code>`
    }</h1>
${
      error
        ? html`<p class="notice error" role="alert" id="form-error">${error}</p>`
        : ""
    }
<form method="post" action="${action}">
${csrfField(context)}
${
      key === undefined
        ? html`<div class="field"><label for="key">Key</label>
<input id="key" name="key" required maxlength="200" value="${
          values.key ?? ""
        }" autocomplete="off"></div>`
        : html`<input type="hidden" name="revision" value="${revision}">`
    }
${Array.from({ length: count }, (_, i) => jobFields(i, jobs[i], values))}
<button class="primary" type="submit">${
      key === undefined ? "Create" : "Save"
    }</button>
<a href="${
      key === undefined ? "/" : `/schedules/${encodeURIComponent(key)}`
    }">Cancel</a>
</form>`,
  );
}

function jobFields(i: number, job: Job | undefined, values: FormValues): Html {
  const { id, value, select } = fieldHelpers(i, values);
  const http = (job?.mode ?? "HTTP") === "HTTP";
  return html`<fieldset><legend>Job ${i}${
    job && !http ? ` (${job.mode})` : ""
  }</legend>
<div class="field"><label for="${id("spec")}">Spec</label>
<input id="${id("spec")}" name="spec.${i}" required value="${
    value("spec")
  }" autocomplete="off"
  data-preview="${id("preview")}" data-zone="tz.${i}" aria-describedby="${
    id("preview")
  }" placeholder="0 */5 * * * * or @every 15s">
<ul class="times mono" id="${id("preview")}" aria-live="polite"></ul></div>
<div class="field"><label for="${
    id("tz")
  }">Time zone (IANA; UTC when empty)</label>
<input id="${id("tz")}" name="tz.${i}" value="${
    value("tz")
  }" placeholder="Europe/Paris" autocomplete="off"></div>
<div class="field"><label for="${
    id("overlap")
  }">When the previous run is still going</label>
<select id="${id("overlap")}" name="overlap.${i}">${
    select("overlap", OVERLAPS, "allow")
  }</select></div>
${
    http
      ? httpFields(i, job, values)
      : html`<p class="muted">The ${job?.mode} option is kept as it is.</p>`
  }
</fieldset>`;
}

/** The id, value and `<option>`s of the fields of job `i`. */
function fieldHelpers(i: number, values: FormValues) {
  const id = (name: string) => `${name}-${i}`;
  const value = (name: string) => values[`${name}.${i}`] ?? "";
  const select = (name: string, choices: string[], fallback: string) =>
    choices.map((choice) =>
      html`<option${
        (value(name) || fallback) === choice ? " selected" : ""
      }>${choice}</option>`
    );
  return { id, value, select };
}

/** The fields of an HTTP job; its headers' values stay hidden. */
function httpFields(
  i: number,
  job: Job | undefined,
  values: FormValues,
): Html {
  const { id, value, select } = fieldHelpers(i, values);
  const option = job?.option as HttpOption | undefined;
  const hidden = ownHeaderNames(option ?? {});
  return html`<div class="field"><label for="${id("url")}">URL</label>
<input id="${id("url")}" name="url.${i}" type="url" required value="${
    value("url")
  }" autocomplete="off"></div>
<div class="field"><label for="${id("method")}">Method</label>
<select id="${id("method")}" name="method.${i}">${
    select("method", METHODS, "POST")
  }</select></div>
<div class="field"><label for="${id("body")}">Body (JSON, optional)</label>
<textarea id="${id("body")}" name="body.${i}" class="mono">${
    value("body")
  }</textarea></div>
${
    hidden.length
      ? html`<p class="muted">Headers ${
        hidden.join(", ")
      }: values hidden, kept as they are.</p>`
      : ""
  }`;
}
