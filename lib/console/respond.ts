/**
 * The console's plain answers: an HTML page, a redirect, a 404, and the local path to go
 * back to after signing in.
 *
 * @module
 */

import type { Html } from "./html.ts";
import type { PageContext } from "./pages/layout.ts";

/** A local path to go back to after signing in (never another site). */
export function nextPath(next: string | null | undefined): string {
  return next && /^\/(?![/\\])/.test(next) ? next : "/";
}

/** `body` as an HTML answer that is never cached. */
export function page(body: Html, status = 200): Response {
  return new Response(String(body), {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
    },
  });
}

/** A 303 to `location`, setting `cookie` if given. */
export function redirect(location: string, cookie?: string): Response {
  const headers = new Headers({ location });
  if (cookie) headers.set("set-cookie", cookie);
  return new Response(null, { status: 303, headers });
}

/** A 404 naming the path asked for. */
export function notFound(context: PageContext): Response {
  return new Response(`not found: ${context.url.pathname}`, {
    status: 404,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}
