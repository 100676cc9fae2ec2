/**
 * The frame of every page: head, navigation, sign-in state, and the script.
 *
 * @module
 */

import { type Html, html } from "../html.ts";
import type { Session } from "../auth.ts";

/** What every page knows of the request. */
export interface PageContext {
  /** The namespace shown. */
  namespace: string;
  /** The request's session. */
  session: Session;
  /** Whether write access is configured at all. */
  writable: boolean;
  /** The request's URL. */
  url: URL;
  /** What the action that led here did, or why it did nothing. */
  notice?: Notice;
}

/** A line at the top of a page: what an action did (`done`), or why it failed (`error`). */
export interface Notice {
  kind: "done" | "error";
  text: string;
}

/**
 * A whole page: `title`, `content`, and the live updates of `live` (an `/live` URL).
 *
 * @example
 * ```ts ignore
 * const page = layout(context, "Cluster", html`<p>hi</p>`);
 * ```
 */
export function layout(
  context: PageContext,
  title: string,
  content: Html,
  live?: string,
): Html {
  const { namespace, notice } = context;
  return html`
    <!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>${title} · schedule ${namespace}</title>
        <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
        <link rel="stylesheet" href="/assets/console.css">
        <script src="/assets/console.js" defer></script>
      </head>
      <body${live
        ? html`
          data-live="${live}"
        `
        : ""}>
        ${topBar(context)}
        <main>
    ${notice?.kind === "done"
      ? html`<p class="notice" role="status">${notice.text}</p>`
      : ""}
    ${notice?.kind === "error"
      ? html`<p class="notice error" role="alert">${notice.text}</p>`
      : ""}
    ${content}
        </main>
        </body>
        </html>
  `;
}

/** The top bar: the brand, the menu, and who is signed in. */
function topBar({ session, writable, namespace }: PageContext): Html {
  return html`
    <header class="top">
      <a class="brand"
        href="/">schedule <span class="muted">${namespace}</span></a>
      <nav aria-label="Main">
            <a href="/">Schedules</a>
            <a href="/cluster">Cluster</a>
            ${session.writer ? html`<a href="/new">New schedule</a>` : ""}
          </nav>
      <div class="who">${session.writer
        ? html`<form class="inline" method="post" action="/logout">
      <input type="hidden" name="csrf" value="${session.csrf}">
      <button type="submit">Sign out</button></form>`
        : writable
        ? html`<a href="/login">Sign in to change</a>`
        : html`<span class="muted">read-only</span>`}</div>
    </header>
  `;
}

/**
 * A hidden field with the session's CSRF token, for every form that posts.
 *
 * @example
 * ```ts ignore
 * html`<form method="post">${csrfField(context)}</form>`;
 * ```
 */
export function csrfField(context: PageContext): Html {
  return html`<input type="hidden" name="csrf" value="${context.session.csrf}">`;
}
