/**
 * The console's HTTP handler: the pages, the actions (POST, signed in, with the
 * session's CSRF token), the live stream, the spec preview and the assets, each answer
 * with a strict Content-Security-Policy.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/nats-core";
import { ConflictError, ScheduleError } from "../errors.ts";
import { listProcesses } from "../ops/discovery.ts";
import { nextRuns } from "../spec/mod.ts";
import type { Job, RunRecord } from "../types.ts";
import type { Revision, Schedule } from "../../mod.ts";
import { CSS, FAVICON, JS } from "./assets.ts";
import type { Access, Session } from "./auth.ts";
import { absolute } from "./format.ts";
import type { Html } from "./html.ts";
import type { DefinitionIndex } from "./index.ts";
import { type LiveHub, liveResponse } from "./live.ts";
import { clusterPage } from "./pages/cluster.ts";
import {
  formPage,
  type FormValues,
  formValues,
  jobsFromForm,
} from "./pages/form.ts";
import type { PageContext } from "./pages/layout.ts";
import { loginPage } from "./pages/login.ts";
import { schedulePage } from "./pages/schedule.ts";
import {
  parseListQuery,
  schedulesPage,
  selectPage,
} from "./pages/schedules.ts";
import type { RunFollower } from "./runs.ts";

/** What the handler reads and steers. */
export interface ConsoleDeps {
  /** The namespace's schedules. */
  client: Schedule;
  /** The definitions, kept current. */
  index: DefinitionIndex;
  /** The last runs, kept current. */
  runs: RunFollower;
  /** The live updates. */
  hub: LiveHub;
  /** Who may write. */
  access: Access;
  /** The connection, for discovery. */
  nc: NatsConnection;
  /** The clock offset (ms) beyond which a node is not ready. */
  maxOffset: number;
  /** Aborted when the console stops: live streams end. */
  closing: AbortSignal;
}

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join("; ");

const ASSETS: Record<string, [string, string]> = {
  "/assets/console.css": [CSS, "text/css; charset=utf-8"],
  "/assets/console.js": [JS, "text/javascript; charset=utf-8"],
  "/assets/favicon.svg": [FAVICON, "image/svg+xml"],
  "/favicon.ico": [FAVICON, "image/svg+xml"],
};

/** The actions of a key, by their path's last segment. */
const ACTIONS = ["pause", "resume", "trigger", "backfill", "edit", "delete"];

/**
 * The console's request handler.
 *
 * @example
 * ```ts ignore
 * Deno.serve({ port: 8090 }, consoleHandler(deps));
 * ```
 */
export function consoleHandler(
  deps: ConsoleDeps,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const session = await deps.access.session(request);
    let response: Response;
    try {
      response = await route(deps, request, session);
    } catch (err) {
      if (!(err instanceof ScheduleError)) throw err;
      response = new Response(err.message, { status: 400 });
    }
    const headers = new Headers(response.headers);
    headers.set("content-security-policy", CSP);
    headers.set("x-content-type-options", "nosniff");
    headers.set("referrer-policy", "same-origin");
    headers.set("x-frame-options", "DENY");
    if (session.setCookie) headers.append("set-cookie", session.setCookie);
    return new Response(response.body, { status: response.status, headers });
  };
}

async function route(
  deps: ConsoleDeps,
  request: Request,
  session: Session,
): Promise<Response> {
  const url = new URL(request.url);
  const context: PageContext = {
    namespace: deps.client.namespace,
    session,
    writable: deps.access.writable,
    url,
  };
  const asset = ASSETS[url.pathname];
  if (request.method === "GET" && asset) {
    return new Response(asset[0], {
      headers: { "content-type": asset[1], "cache-control": "max-age=300" },
    });
  }
  const [, top, encoded, action, ...rest] = url.pathname.split("/");
  let key: string | undefined;
  if (top === "schedules" && encoded) {
    try {
      key = decodeURIComponent(encoded);
    } catch {
      return notFound(context);
    }
  }
  if (rest.length > 0 || (action && !ACTIONS.includes(action))) {
    return notFound(context);
  }
  if (request.method === "POST") {
    return await post(deps, request, context, url.pathname, key, action);
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("method not allowed", { status: 405 });
  }
  switch (url.pathname) {
    case "/":
      return await listPage(deps, context);
    case "/cluster":
      return page(
        clusterPage(
          context,
          await listProcesses(deps.nc, deps.client.namespace),
          deps.maxOffset,
        ),
      );
    case "/live":
      return liveResponse(
        deps.hub,
        url.searchParams.get("key") ?? undefined,
        deps.closing,
      );
    case "/api/next":
      return preview(url);
    case "/login":
      return page(
        loginPage(
          context,
          deps.access.method,
          nextPath(url.searchParams.get("next")),
        ),
      );
    case "/new":
      if (!session.writer) return redirect("/login?next=/new");
      return page(formPage(context, { jobs: [], values: {} }));
  }
  if (key === undefined) return notFound(context);
  const entry = deps.index.get(key);
  if (entry === undefined) return notFound(context);
  if (action === "edit") {
    if (!session.writer) {
      return redirect(`/login?next=${encodeURIComponent(url.pathname)}`);
    }
    const { jobs } = entry.definition;
    return page(
      formPage(context, {
        key,
        jobs,
        values: formValues(jobs),
        revision: entry.revision,
      }),
    );
  }
  if (action) return notFound(context);
  const [description, runs, revisions] = await Promise.all([
    deps.client.describe(key),
    deps.client.history(key, { limit: RUNS_SHOWN }),
    lastRevisions(deps.client, key),
  ]);
  return page(
    schedulePage(context, entry, description, runs, revisions, Date.now()),
  );
}

/** The most runs the page of a key shows on its 24 h timeline. */
const RUNS_SHOWN = 100;

/** The most revisions the page of a key shows. */
const REVISIONS_SHOWN = 20;

/** The last revisions of `key`, newest first. */
async function lastRevisions(
  client: Schedule,
  key: string,
): Promise<Revision[]> {
  const revisions: Revision[] = [];
  for await (const revision of client.revisions(key)) {
    revisions.push(revision);
    if (revisions.length === REVISIONS_SHOWN) break;
  }
  return revisions;
}

async function listPage(
  deps: ConsoleDeps,
  context: PageContext,
): Promise<Response> {
  const query = parseListQuery(context.url);
  const now = Date.now();
  const selection = selectPage(
    deps.index.values(),
    query,
    (key) => deps.runs.failing(key),
    now,
  );
  const histories = new Map<string, RunRecord[]>();
  await Promise.all(selection.rows.map(async ({ entry }) => {
    const runs = deps.runs.lastRuns(entry.key).size
      ? await deps.client.history(entry.key, { limit: 30 })
      : [];
    histories.set(entry.key, runs);
  }));
  return page(schedulesPage(context, query, selection, histories, now));
}

/** The next fire times of the spec being typed, as JSON. */
function preview(url: URL): Response {
  const spec = url.searchParams.get("spec") ?? "";
  const tz = url.searchParams.get("tz")?.trim();
  try {
    const zoned = tz && !/^(CRON_)?TZ=/.test(spec)
      ? `CRON_TZ=${tz} ${spec}`
      : spec;
    const next = nextRuns(zoned, 5).map((at) => absolute(at, tz || undefined));
    return Response.json({ next });
  } catch (err) {
    return Response.json({ error: (err as Error).message }, { status: 422 });
  }
}

async function post(
  deps: ConsoleDeps,
  request: Request,
  context: PageContext,
  pathname: string,
  key: string | undefined,
  action: string | undefined,
): Promise<Response> {
  const { access, client } = deps;
  const { session } = context;
  const origin = request.headers.get("origin");
  const form = await request.formData().catch(() => new FormData());
  const values: FormValues = {};
  form.forEach((value, name) => {
    if (typeof value === "string") values[name] = value;
  });
  if (
    (origin !== null && origin !== context.url.origin) ||
    !(await access.checkCsrf(session, values.csrf ?? null))
  ) {
    return new Response(
      "refused: the form's CSRF token is missing or wrong; reload the page",
      {
        status: 403,
      },
    );
  }
  if (pathname === "/login") {
    const cookie = await access.signIn(session, values);
    if (cookie === null) {
      return page(
        loginPage(
          context,
          access.method,
          nextPath(values.next),
          "Wrong credentials.",
        ),
        401,
      );
    }
    return redirect(nextPath(values.next), cookie);
  }
  if (pathname === "/logout") return redirect("/", access.signOut());
  if (!session.writer) {
    return new Response("refused: sign in to change schedules", {
      status: 403,
    });
  }
  const by = access.by;
  if (pathname === "/schedules") {
    const newKey = values.key?.trim() ?? "";
    return await save(deps, context, values, newKey, [], undefined);
  }
  if (key === undefined || !action) return notFound(context);
  const entry = deps.index.get(key);
  if (entry === undefined) return notFound(context);
  const path = `/schedules/${encodeURIComponent(key)}`;
  const done = (message: string) =>
    redirect(`${path}?${new URLSearchParams({ done: message })}`);
  try {
    switch (action) {
      case "pause":
        await client.pause(key, { note: values.note?.trim() || undefined, by });
        return done("Paused.");
      case "resume":
        await client.resume(key, { by });
        return done("Resumed.");
      case "trigger": {
        const tick = await client.trigger(key, {
          index: Number(values.index ?? 0),
          by,
        });
        return done(`Triggered job ${tick.index}.`);
      }
      case "backfill": {
        const from = utc(values.from);
        const to = utc(values.to);
        if (from === null || to === null) {
          throw new ScheduleError("backfill: give a range, From and To");
        }
        const count = await client.backfill(key, { from, to, by });
        return done(`Backfilled ${count} ${count === 1 ? "tick" : "ticks"}.`);
      }
      case "edit":
        return await save(
          deps,
          context,
          values,
          key,
          entry.definition.jobs,
          Number(values.revision),
        );
      case "delete":
        await client.remove(key, { by });
        return redirect(
          `/?${new URLSearchParams({ done: `Deleted ${key}.` })}`,
        );
    }
  } catch (err) {
    if (!(err instanceof ScheduleError)) throw err;
    return redirect(`${path}?${new URLSearchParams({ error: err.message })}`);
  }
  return notFound(context);
}

/** Creates or replaces `key` from the form, or shows the form again with the error. */
async function save(
  deps: ConsoleDeps,
  context: PageContext,
  values: FormValues,
  key: string,
  existing: Job[],
  revision: number | undefined,
): Promise<Response> {
  const isNew = revision === undefined;
  try {
    const jobs = jobsFromForm(values, existing);
    // A new key only if it does not exist; an edit only if nobody changed it since.
    await deps.client.set(key, jobs, {
      expectedRevision: revision ?? 0,
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
  return redirect(
    `/schedules/${encodeURIComponent(key)}?${new URLSearchParams({
      done: isNew ? "Created." : "Saved.",
    })}`,
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
  if (!value) return null;
  const at = new Date(`${value.length === 16 ? `${value}:00` : value}Z`);
  return Number.isNaN(at.getTime()) ? null : at;
}

/** A local path to go back to after signing in (never another site). */
function nextPath(next: string | null | undefined): string {
  return next && /^\/(?![/\\])/.test(next) ? next : "/";
}

function page(body: Html, status = 200): Response {
  return new Response(String(body), {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
    },
  });
}

function redirect(location: string, cookie?: string): Response {
  const headers = new Headers({ location });
  if (cookie) headers.set("set-cookie", cookie);
  return new Response(null, { status: 303, headers });
}

function notFound(context: PageContext): Response {
  return new Response(`not found: ${context.url.pathname}`, {
    status: 404,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}
