/**
 * The console's HTTP handler: the pages, the actions (POST, signed in, with the
 * session's CSRF token), the live stream, the spec preview and the assets, each answer
 * with a strict Content-Security-Policy.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/nats-core";
import { ScheduleError } from "../errors.ts";
import type { Logger } from "../ops/log.ts";
import type { Schedule } from "../../mod.ts";
import { ACTION_NAMES, post } from "./actions.ts";
import { CSS, FAVICON, JS } from "./assets.ts";
import type { Access, Session } from "./auth.ts";
import type { DefinitionIndex } from "./index.ts";
import type { LiveHub } from "./live.ts";
import type { PageContext } from "./pages/layout.ts";
import { notFound, readNotice } from "./respond.ts";
import { isLoopbackName } from "./host.ts";
import type { RunFollower } from "./runs.ts";
import { type Target, view } from "./views.ts";

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
  /** Where what was handled is logged (a discovery reply that is not a status). */
  log: Logger;
  /**
   * True when the console listens on a loopback address: it then answers only requests
   * whose `Host` is a loopback name (see `host.ts`).
   */
  loopback: boolean;
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
    if (deps.loopback && !isLoopbackName(new URL(request.url).hostname)) {
      return new Response(
        "this console listens on a loopback address and answers only to localhost\n",
        {
          status: 421,
          headers: { "content-type": "text/plain; charset=utf-8" },
        },
      );
    }
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
    // A sign-in or sign-out sets a session of its own.
    if (session.setCookie && !headers.has("set-cookie")) {
      headers.append("set-cookie", session.setCookie);
    }
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
    notice: await readNotice(deps.access, session, url),
  };
  const asset = ASSETS[url.pathname];
  if (request.method === "GET" && asset) {
    return new Response(asset[0], {
      headers: { "content-type": asset[1], "cache-control": "max-age=300" },
    });
  }
  const target = parseTarget(url.pathname);
  if (target === null) return notFound(context);
  if (request.method === "POST") {
    return await post(deps, request, context, target);
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("method not allowed", { status: 405 });
  }
  return await view(deps, context, target);
}

/** The key and action of `pathname`, `null` for a path no page or action has. */
function parseTarget(pathname: string): Target | null {
  const [, top, encoded, action, ...rest] = pathname.split("/");
  let key: string | undefined;
  if (top === "schedules" && encoded) {
    try {
      key = decodeURIComponent(encoded);
    } catch {
      return null;
    }
  }
  if (rest.length > 0 || (action && !ACTION_NAMES.includes(action))) {
    return null;
  }
  return { key, action };
}
