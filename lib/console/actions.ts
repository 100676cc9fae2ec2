/**
 * The console's actions (POST): signing in and out, creating a key, and one handler per
 * action on a key, each behind the session's CSRF token.
 *
 * @module
 */

import { ConflictError, ScheduleError } from "../errors.ts";
import { timeOf } from "../_util.ts";
import type { Definition, Job } from "../types.ts";
import type { ConsoleDeps } from "./handler.ts";
import type { DefinitionIndex, IndexEntry } from "./index.ts";
import { formPage, type FormValues, jobsFromForm } from "./pages/form.ts";
import type { PageContext } from "./pages/layout.ts";
import { loginPage } from "./pages/login.ts";
import {
  nextPath,
  notFound,
  noticeRedirect,
  page,
  redirect,
} from "./respond.ts";
import type { Target } from "./views.ts";

/** What an action on a key is given. */
interface ActionInput {
  deps: ConsoleDeps;
  context: PageContext;
  values: FormValues;
  key: string;
  entry: IndexEntry;
  /** Who acts, for the revision. */
  by: string;
  /** Back to the key's page with `message`. */
  done: (message: string) => Promise<Response>;
}

type Action = (input: ActionInput) => Promise<Response>;

/** The actions on a key, by their path's last segment. */
const ACTIONS = new Map<string, Action>([
  ["pause", async ({ deps, key, values, by, done }) => {
    await deps.client.pause(key, {
      note: values.note?.trim() || undefined,
      by,
    });
    return done("Paused.");
  }],
  ["resume", async ({ deps, key, by, done }) => {
    await deps.client.resume(key, { by });
    return done("Resumed.");
  }],
  ["trigger", async ({ deps, key, values, by, done }) => {
    const tick = await deps.client.trigger(key, {
      index: Number(values.index ?? 0),
      by,
    });
    return done(`Triggered job ${tick.index}.`);
  }],
  ["backfill", backfill],
  ["edit", ({ deps, context, values, key, entry }) =>
    save(
      deps,
      context,
      values,
      key,
      entry.definition.jobs,
      Number(values.revision),
      entry.definition,
    )],
  ["delete", async ({ deps, context, key, by }) => {
    await deps.client.remove(key, { by });
    return await noticeRedirect(deps.access, context.session, "/", {
      kind: "done",
      text: `Deleted ${key}.`,
    });
  }],
]);

/** The names of the actions on a key. */
export const ACTION_NAMES: string[] = [...ACTIONS.keys()];

/**
 * The most bytes the body of a POST may hold: a request with more is refused (413)
 * without reading the rest. 4 MiB: the edit form carries the jobs' request bodies, a
 * definition may be as large as the NATS server's default `max_payload` (1 MiB), and
 * the form sends it indented and percent-encoded, about 3.8 times as large.
 */
export const MAX_FORM_BYTES = 4 * 1024 * 1024;

/**
 * The answer to a POST to `context.url`. What needs no body is checked before it is
 * read (another origin, a change without signing in), then its size, then its CSRF
 * token.
 *
 * @example
 * ```ts ignore
 * const response = await post(deps, request, context, { key: "billing", action: "pause" });
 * ```
 */
export async function post(
  deps: ConsoleDeps,
  request: Request,
  context: PageContext,
  target: Target,
): Promise<Response> {
  const refused = refusedUnread(request, context);
  if (refused !== null) return refused;
  const values = await formFields(request);
  if (values === null) {
    return new Response(
      `refused: a form of the console holds at most ${MAX_FORM_BYTES} bytes`,
      { status: 413 },
    );
  }
  if (!(await deps.access.checkCsrf(context.session, values.csrf ?? null))) {
    return csrfRefused();
  }
  return await dispatch(deps, context, values, target);
}

/** Whether a POST to `pathname` signs in or out (the others change schedules). */
function signsInOrOut(pathname: string): boolean {
  return pathname === "/login" || pathname === "/logout";
}

/**
 * The refusal of a POST that needs no look at its body: from another origin, or a change
 * by a session not signed in; else `null`.
 */
function refusedUnread(
  request: Request,
  context: PageContext,
): Response | null {
  const origin = request.headers.get("origin");
  if (origin !== null && origin !== context.url.origin) return csrfRefused();
  if (!signsInOrOut(context.url.pathname) && !context.session.writer) {
    return new Response("refused: sign in to change schedules", {
      status: 403,
    });
  }
  return null;
}

/** The refusal of a form without its session's CSRF token. */
function csrfRefused(): Response {
  return new Response(
    "refused: the form's CSRF token is missing or wrong; reload the page",
    { status: 403 },
  );
}

/** Runs the POST of a form whose origin, session and CSRF token were checked. */
async function dispatch(
  deps: ConsoleDeps,
  context: PageContext,
  values: FormValues,
  { key, action }: Target,
): Promise<Response> {
  const pathname = context.url.pathname;
  if (pathname === "/login") return await signIn(deps, context, values);
  if (pathname === "/logout") return redirect("/", deps.access.signOut());
  if (pathname === "/schedules") {
    const newKey = values.key?.trim() ?? "";
    return await save(deps, context, values, newKey, [], undefined);
  }
  if (key === undefined || !action) return notFound(context);
  return await act(deps, context, values, key, action);
}

/**
 * The string fields of the request's form (none if it has no form), or `null` when its
 * body holds more than {@link MAX_FORM_BYTES}.
 */
async function formFields(request: Request): Promise<FormValues | null> {
  const body = await boundedBody(request, MAX_FORM_BYTES);
  if (body === null) return null;
  const type = request.headers.get("content-type") ?? "";
  const form = await new Response(body, { headers: { "content-type": type } })
    .formData().catch(() => new FormData());
  const values: FormValues = {};
  form.forEach((value, name) => {
    if (typeof value === "string") values[name] = value;
  });
  return values;
}

/**
 * The body of `request`, or `null` when it says or turns out to hold more than `limit`
 * bytes (the rest is not read).
 */
async function boundedBody(
  request: Request,
  limit: number,
): Promise<Blob | null> {
  if (Number(request.headers.get("content-length")) > limit) return null;
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let size = 0;
  for await (const chunk of request.body ?? []) {
    size += chunk.length;
    if (size > limit) return null; // leaving the loop cancels the stream
    chunks.push(chunk);
  }
  return new Blob(chunks);
}

async function signIn(
  deps: ConsoleDeps,
  context: PageContext,
  values: FormValues,
): Promise<Response> {
  const { access } = deps;
  const cookies = await access.signIn(values);
  if (cookies === null) {
    return page(
      loginPage(
        context,
        access.method,
        nextPath(values.next, context.url.origin),
        "Wrong credentials.",
      ),
      401,
    );
  }
  return redirect(nextPath(values.next, context.url.origin), cookies);
}

/** Runs `action` on `key`; a refusal goes back to the key's page as an error. */
async function act(
  deps: ConsoleDeps,
  context: PageContext,
  values: FormValues,
  key: string,
  action: string,
): Promise<Response> {
  const by = deps.access.by;
  const entry = deps.index.get(key);
  if (entry === undefined) return notFound(context);
  const path = `/schedules/${encodeURIComponent(key)}`;
  const done = (text: string) =>
    noticeRedirect(deps.access, context.session, path, { kind: "done", text });
  const run = ACTIONS.get(action);
  if (run === undefined) return notFound(context);
  try {
    return await run({ deps, context, values, key, entry, by, done });
  } catch (err) {
    if (!(err instanceof ScheduleError)) throw err;
    return await noticeRedirect(deps.access, context.session, path, {
      kind: "error",
      text: err.message,
    });
  }
}

async function backfill(
  { deps, key, values, by, done }: ActionInput,
): Promise<Response> {
  const from = utc(values.from);
  const to = utc(values.to);
  if (from === null || to === null) {
    throw new ScheduleError("backfill: give a range, From and To");
  }
  const count = await deps.client.backfill(key, { from, to, by });
  return done(`Backfilled ${count} ${count === 1 ? "tick" : "ticks"}.`);
}

/**
 * Creates or replaces `key` from the form, or shows the form again with the error. An edit
 * keeps the key `paused` as it was, with its note (at `revision`: if it was paused or
 * resumed since, the write conflicts).
 */
async function save(
  deps: ConsoleDeps,
  context: PageContext,
  values: FormValues,
  key: string,
  existing: Job[],
  revision: number | undefined,
  { paused, pause }: Pick<Definition, "paused" | "pause"> = { paused: false },
): Promise<Response> {
  const isNew = revision === undefined;
  try {
    const jobs = jobsFromForm(values, existing);
    // A new key only if it does not exist; an edit only if nobody changed it since.
    await deps.client.set(key, jobs, {
      expectedRevision: revision ?? 0,
      paused,
      ...(pause === undefined ? {} : { pause }),
      by: deps.access.by,
    });
  } catch (err) {
    if (!(err instanceof ScheduleError)) throw err;
    const message = isNew && err instanceof ConflictError
      ? `"${key}" exists already: edit it instead`
      : err.message;
    return page(
      formPage(context, {
        key: isNew ? undefined : key,
        revision,
        jobs: existing,
        values,
        error: message,
      }),
      400,
    );
  }
  await waitForIndex(deps.index, key, revision);
  return await noticeRedirect(
    deps.access,
    context.session,
    `/schedules/${encodeURIComponent(key)}`,
    { kind: "done", text: isNew ? "Created." : "Saved." },
  );
}

/** Waits (at most 2 s) until the index holds a revision of `key` newer than `revision`. */
async function waitForIndex(
  index: DefinitionIndex,
  key: string,
  revision = 0,
): Promise<void> {
  const deadline = Date.now() + 2000;
  while ((index.get(key)?.revision ?? 0) <= revision && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A `datetime-local` value read as UTC. */
function utc(value: string | undefined): Date | null {
  const at = timeOf(value);
  return Number.isNaN(at) ? null : new Date(at);
}
