/**
 * The console's plain answers: an HTML page, a redirect (with a notice for the page it
 * leads to), a 404, and the local path to go back to after signing in.
 *
 * @module
 */

import type { Access, Session } from "./auth.ts";
import type { Html } from "./html.ts";
import type { Notice, PageContext } from "./pages/layout.ts";

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

/**
 * A 303 to `path` whose page shows `notice`. The notice rides in the query (`done` or
 * `error`) with its MAC under the session (`mac`), so a reload shows it again while a
 * link made elsewhere shows nothing: the console says only what it said itself.
 */
export async function noticeRedirect(
  access: Access,
  session: Session,
  path: string,
  { kind, text }: Notice,
): Promise<Response> {
  const mac = await access.mac(session, `${kind}:${text}`);
  return redirect(`${path}?${new URLSearchParams({ [kind]: text, mac })}`);
}

/** The notice `url` carries for `session` (see {@link noticeRedirect}), if its MAC holds. */
export async function readNotice(
  access: Access,
  session: Session,
  url: URL,
): Promise<Notice | undefined> {
  const mac = url.searchParams.get("mac");
  for (const kind of ["error", "done"] as const) {
    const text = url.searchParams.get(kind);
    if (
      text !== null && await access.checkMac(session, `${kind}:${text}`, mac)
    ) {
      return { kind, text };
    }
  }
  return undefined;
}

/** A 404 naming the path asked for. */
export function notFound(context: PageContext): Response {
  return new Response(`not found: ${context.url.pathname}`, {
    status: 404,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}
