/**
 * The console's pages (GET): a route table for the fixed paths, then the page of a key
 * and its edit form.
 *
 * @module
 */

import { listProcesses } from "../ops/discovery.ts";
import { nextRuns } from "../spec/mod.ts";
import type { RunRecord } from "../types.ts";
import type { Revision, Schedule } from "../../mod.ts";
import { absolute } from "./format.ts";
import type { ConsoleDeps } from "./handler.ts";
import type { IndexEntry } from "./index.ts";
import { liveResponse } from "./live.ts";
import { clusterPage } from "./pages/cluster.ts";
import { formPage, formValues } from "./pages/form.ts";
import type { PageContext } from "./pages/layout.ts";
import { loginPage } from "./pages/login.ts";
import { schedulePage } from "./pages/schedule.ts";
import {
  parseListQuery,
  schedulesPage,
  selectPage,
} from "./pages/schedules.ts";
import { nextPath, notFound, page, redirect } from "./respond.ts";

/** Where a request goes below a key: `/schedules/<key>/<action>`. */
export interface Target {
  /** The key, decoded, for paths under `/schedules/`. */
  key: string | undefined;
  /** The action, one of the known ones, if any. */
  action: string | undefined;
}

type View = (
  deps: ConsoleDeps,
  context: PageContext,
) => Response | Promise<Response>;

/** The pages of fixed paths. */
const VIEWS = new Map<string, View>([
  ["/", listPage],
  ["/cluster", cluster],
  ["/live", (deps, { url }) =>
    liveResponse(
      deps.hub,
      url.searchParams.get("key") ?? undefined,
      deps.closing,
    )],
  ["/api/next", (_deps, { url }) => preview(url)],
  ["/login", (deps, context) =>
    page(
      loginPage(
        context,
        deps.access.method,
        nextPath(
          context.url.searchParams.get("next"),
          context.url.origin,
        ),
      ),
    )],
  [
    "/new",
    (_deps, context) =>
      context.session.writer
        ? page(formPage(context, { jobs: [], values: {} }))
        : redirect("/login?next=/new"),
  ],
]);

/**
 * The answer to a GET (or HEAD) of `context.url`.
 *
 * @example
 * ```ts ignore
 * const response = await view(deps, context, { key: "billing", action: undefined });
 * ```
 */
export async function view(
  deps: ConsoleDeps,
  context: PageContext,
  { key, action }: Target,
): Promise<Response> {
  const fixed = VIEWS.get(context.url.pathname);
  if (fixed) return await fixed(deps, context);
  if (key === undefined) return notFound(context);
  const entry = deps.index.get(key);
  if (entry === undefined) return notFound(context);
  if (action === "edit") return editPage(context, key, entry);
  if (action) return notFound(context);
  return await keyPage(deps, context, key, entry);
}

async function cluster(
  deps: ConsoleDeps,
  context: PageContext,
): Promise<Response> {
  return page(
    clusterPage(
      context,
      await listProcesses(deps.nc, deps.client.namespace, { log: deps.log }),
      deps.maxOffset,
    ),
  );
}

/** The form that edits `key`, for writers. */
function editPage(
  context: PageContext,
  key: string,
  entry: IndexEntry,
): Response {
  if (!context.session.writer) {
    return redirect(`/login?next=${encodeURIComponent(context.url.pathname)}`);
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

/** The page of `key`. */
async function keyPage(
  deps: ConsoleDeps,
  context: PageContext,
  key: string,
  entry: IndexEntry,
): Promise<Response> {
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
    (entry) => deps.runs.failing(entry),
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
