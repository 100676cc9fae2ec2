import assert from "node:assert/strict";
import { Html, html } from "./html.ts";

Deno.test("html escapes values, nests templates and skips empty values", () => {
  const inner = html`<b>${"a&b"}</b>`;
  const out = html`<p>${inner}${[1, "<i>"]}${null}${false}${undefined}${0}</p>`;
  assert.equal(String(out), "<p><b>a&amp;b</b>1&lt;i&gt;0</p>");
  assert.equal(String(html`${new Html("<br>")}`), "<br>");
  assert.equal(String(html`<a title='${"x'y"}'>`), "<a title='x&#39;y'>");
});
