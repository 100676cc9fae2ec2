/**
 * The sign-in page: a token, or a user and password, as the config asks.
 *
 * @module
 */

import { type Html, html } from "../html.ts";
import { csrfField, layout, type PageContext } from "./layout.ts";

/**
 * The sign-in page for `method`, back to `next` once signed in.
 *
 * @example
 * ```ts ignore
 * const page = loginPage(context, "token", "/", undefined);
 * ```
 */
export function loginPage(
  context: PageContext,
  method: "token" | "user" | "none",
  next: string,
  error?: string,
): Html {
  return layout(
    context,
    "Sign in",
    html`<h1>Sign in</h1>
${error ? html`<p class="notice error" role="alert">${error}</p>` : ""}
${
      method === "none"
        ? html`<p>This console is read-only: no token or user is configured.</p>`
        : html`<form method="post" action="/login">${csrfField(context)}
<input type="hidden" name="next" value="${next}">
${
          method === "token"
            ? html`<div class="field"><label for="token">Token</label>
<input id="token" name="token" type="password" required autocomplete="current-password"></div>`
            : html`<div class="field"><label for="user">User</label>
<input id="user" name="user" required autocomplete="username"></div>
<div class="field"><label for="password">Password</label>
<input id="password" name="password" type="password" required autocomplete="current-password"></div>`
        }
<button class="primary" type="submit">Sign in</button></form>`
    }`,
  );
}
