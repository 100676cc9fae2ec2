/**
 * The console's plain answers: an HTML page, a redirect, a 404, and the local path to go
 * back to after signing in.
 *
 * @module
 */

import type { Html } from "./html.ts";
import type { PageContext } from "./pages/layout.ts";

/**
 * The path (and query) to go back to after signing in: `next` resolved as a browser does,
 * if it stays at `origin`, the console's own, and its path does not start with `//`
 * (which a browser reads as another host); else `/` (never another site).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nextPath } from "./respond.ts";
 * const origin = "http://127.0.0.1:8080";
 * assert.equal(nextPath("/schedules/a?filter=paused", origin), "/schedules/a?filter=paused");
 * assert.equal(nextPath("/\t/evil.example/", origin), "/");
 * assert.equal(nextPath("/.//evil.example/", origin), "/");
 * ```
 */
export function nextPath(
  next: string | null | undefined,
  origin: string,
): string {
  const url = next ? URL.parse(next, origin) : null;
  return url?.origin === origin && !url.pathname.startsWith("//")
    ? `${url.pathname}${url.search}`
    : "/";
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

/** A 303 to `location`, setting `cookies`. */
export function redirect(location: string, cookies: string[] = []): Response {
  const headers = new Headers({ location });
  for (const cookie of cookies) headers.append("set-cookie", cookie);
  return new Response(null, { status: 303, headers });
}

/** A 404 naming the path asked for. */
export function notFound(context: PageContext): Response {
  return new Response(`not found: ${context.url.pathname}`, {
    status: 404,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}
