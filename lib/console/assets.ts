/**
 * The console's assets, as strings of the module (no file is read at run time, and
 * none is fetched from elsewhere): the style sheet, the script and the icon.
 *
 * @module
 */

/** The style sheet: light and dark themes following the system, phone widths. */
export const CSS = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --panel: #f6f8fa;
  --link: #0550ae; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --idle: #8c959f;
  --badge: #fff8c5; --badge-fg: #6b4a00;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9da7b3; --line: #30363d; --panel: #161b22;
    --link: #79c0ff; --ok: #3fb950; --bad: #ff7b72; --warn: #d29922; --idle: #6e7681;
    --badge: #3b2e00; --badge-fg: #f2cc60;
  }
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
a { color: var(--link); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible,
textarea:focus-visible, summary:focus-visible { outline: 3px solid var(--link); outline-offset: 2px; }
header.top { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center;
  padding: .6rem 1rem; border-bottom: 1px solid var(--line); background: var(--panel); }
header.top .brand { font-weight: 700; text-decoration: none; color: var(--fg); }
header.top nav { display: flex; gap: 1rem; flex-wrap: wrap; }
header.top .who { margin-left: auto; display: flex; gap: .5rem; align-items: center; }
main { padding: 1rem; max-width: 1200px; margin: 0 auto; }
h1 { font-size: 1.4rem; margin: .2rem 0 .8rem; word-break: break-all; }
h1 code, h3 code { font-size: inherit; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .8rem; text-transform: uppercase; color: var(--muted); }
td.key { word-break: break-all; font-weight: 600; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .88rem; }
pre { background: var(--panel); padding: .6rem; overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 1rem; font-size: .8rem;
  background: var(--badge); color: var(--badge-fg); border: 1px solid var(--line); }
.badge.trigger { background: var(--panel); color: var(--link); border-color: var(--link); }
.outcome-success { color: var(--ok); } .outcome-failed { color: var(--bad); }
.outcome-retry, .outcome-interrupted { color: var(--warn); }
.strip { display: inline-flex; gap: 2px; vertical-align: middle; }
.strip i { display: inline-block; width: 6px; height: 16px; border-radius: 1px; background: var(--idle); }
.strip i.success { background: var(--ok); } .strip i.failed { background: var(--bad); }
.strip i.retry, .strip i.interrupted { background: var(--warn); }
.timeline { display: block; width: 100%; height: 28px; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); margin: .4rem 0 .2rem; }
.timeline rect { fill: var(--idle); } .timeline rect.success { fill: var(--ok); }
.timeline rect.failed { fill: var(--bad); } .timeline rect.retry, .timeline rect.interrupted { fill: var(--warn); }
.axis { display: flex; justify-content: space-between; font-size: .75rem; color: var(--muted); }
form.inline { display: inline; }
.filters { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin-bottom: 1rem; }
label { display: block; font-size: .85rem; color: var(--muted); margin-bottom: .15rem; }
input, select, textarea, button { font: inherit; color: var(--fg); background: var(--bg);
  border: 1px solid var(--line); border-radius: 6px; padding: .35rem .5rem; }
textarea { width: 100%; min-height: 5rem; }
button { cursor: pointer; background: var(--panel); }
button.primary { background: var(--link); color: var(--bg); border-color: var(--link); }
button.danger { background: var(--bad); color: var(--bg); border-color: var(--bad); }
.field { margin-bottom: .7rem; }
.field input:not([type=checkbox]), .field select { width: 100%; max-width: 32rem; }
fieldset { border: 1px solid var(--line); border-radius: 6px; margin: 0 0 1rem; }
details.action { border: 1px solid var(--line); border-radius: 6px; padding: .4rem .6rem; margin: .4rem 0; }
details.action summary { cursor: pointer; font-weight: 600; }
.actions { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); gap: .5rem; }
.notice { padding: .5rem .8rem; border-radius: 6px; border: 1px solid var(--ok); margin-bottom: 1rem; }
.notice.error { border-color: var(--bad); }
.pager { display: flex; gap: 1rem; margin-top: 1rem; align-items: center; }
.diff .add { color: var(--ok); } .diff .del { color: var(--bad); }
ul.times { margin: .2rem 0; padding-left: 1.2rem; }
@media (max-width: 640px) {
  main { padding: .6rem; }
  .hide-narrow { display: none; }
}
`;

/**
 * The script: live updates (server-sent events refetch the page's live parts) and the
 * spec preview of the forms. The pages read well without it.
 */
export const JS = `"use strict";
(() => {
  const live = document.body.dataset.live;
  if (live && "EventSource" in window) {
    let timer = null;
    const refresh = async () => {
      timer = null;
      const response = await fetch(location.href, { headers: { accept: "text/html" } });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const part of document.querySelectorAll("[data-live-part]")) {
        const replacement = fresh.getElementById(part.id);
        if (replacement) part.replaceWith(replacement);
      }
    };
    const source = new EventSource(live);
    source.addEventListener("open", () => { document.body.dataset.connected = "true"; });
    source.addEventListener("update", () => { timer ??= setTimeout(refresh, 100); });
  }
  for (const input of document.querySelectorAll("input[data-preview]")) {
    const output = document.getElementById(input.dataset.preview);
    const zone = input.form.elements.namedItem(input.dataset.zone);
    let timer = null;
    const preview = async () => {
      const query = new URLSearchParams({ spec: input.value, tz: zone ? zone.value : "" });
      const response = await fetch("/api/next?" + query);
      const answer = await response.json();
      const items = answer.error
        ? [Object.assign(document.createElement("li"), { textContent: answer.error, className: "outcome-failed" })]
        : answer.next.map((at) => Object.assign(document.createElement("li"), { textContent: at }));
      output.replaceChildren(...items);
    };
    const later = () => { clearTimeout(timer); timer = setTimeout(preview, 150); };
    input.addEventListener("input", later);
    if (zone) zone.addEventListener("input", later);
  }
})();
`;

/** The icon: a clock face. */
export const FAVICON =
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<circle cx="16" cy="16" r="14" fill="#0550ae"/><path d="M16 7v9l6 4" stroke="#fff" stroke-width="3" fill="none" stroke-linecap="round"/>
</svg>`;
