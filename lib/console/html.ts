/**
 * HTML templates that escape every value: `html` tagged templates yield {@link Html},
 * which is inserted as it is; anything else is escaped, so a key or a note holding
 * `<script>` is shown as text.
 *
 * @module
 */

/**
 * Markup that is already safe to insert.
 *
 * @example
 * ```ts
 * import { Html } from "./html.ts";
 * console.log(String(new Html("<br>")));
 * ```
 */
export class Html {
  /** Wraps `text`, which must already be safe markup. */
  constructor(readonly text: string) {}
  /** The markup. */
  toString(): string {
    return this.text;
  }
}

/**
 * A template whose values are escaped (an {@link Html} value is inserted as it is; an
 * array is each of its items; `null`, `undefined` and `false` are nothing).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { html } from "./html.ts";
 * const note = "<script>alert(1)</script>";
 * assert.equal(
 *   String(html`<p title="${note}">${note}</p>`),
 *   '<p title="&lt;script&gt;alert(1)&lt;/script&gt;">&lt;script&gt;alert(1)&lt;/script&gt;</p>',
 * );
 * ```
 */
export function html(
  strings: TemplateStringsArray,
  ...values: unknown[]
): Html {
  let text = strings[0];
  values.forEach((value, i) => {
    text += render(value) + strings[i + 1];
  });
  return new Html(text);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join("");
  if (value === null || value === undefined || value === false) return "";
  return escapeHtml(String(value));
}

/**
 * `text` with `& < > " '` escaped, for element content and quoted attributes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeHtml } from "./html.ts";
 * assert.equal(escapeHtml(`a<b & "c"`), "a&lt;b &amp; &quot;c&quot;");
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};
