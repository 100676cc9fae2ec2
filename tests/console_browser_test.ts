/**
 * The console in a real browser (headless Chromium) against a nats-server with a node
 * and a worker running. With UPDATE_SCREENSHOTS=1 it writes docs/console-*.png.
 */

import assert from "node:assert/strict";
import { HttpJob } from "../mod.ts";
import { TOKEN, withConsole } from "./_console.ts";
import { Browser, type Page } from "./_browser.ts";

const SCREENSHOTS = Deno.env.get("UPDATE_SCREENSHOTS") === "1";

async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  await Deno.mkdir(new URL("../docs/", import.meta.url), { recursive: true });
  await Deno.writeFile(
    new URL(`../docs/console-${name}.png`, import.meta.url),
    await page.screenshot(),
  );
}

const count = (selector: string) =>
  `document.querySelectorAll(${JSON.stringify(selector)}).length`;
const text = (selector: string) =>
  `document.querySelector(${JSON.stringify(selector)})?.textContent ?? ""`;
/** The page at `path` is shown whole: a new document is read while it loads. */
const at = (path: string) =>
  `location.pathname === ${
    JSON.stringify(path)
  } && document.readyState === "complete"`;

Deno.test("console in Chromium: create, see it run live, pause with a note, trigger, backfill, a failing strip, delete; CSRF and injection refused", async () => {
  const browser = await Browser.launch();
  try {
    await withConsole(async ({ url, schedule, hook }) => {
      const page = await browser.newPage();
      await schedule.set(
        "billing.nightly",
        HttpJob("0 30 2 * * MON-FRI", { url: `${hook}/ok` }, "Europe/Paris"),
      );
      await schedule.set(
        "broken",
        HttpJob("@every 1s", { url: `${hook}/fail` }),
      );

      // Sign in with the token.
      await page.goto(`${url}/login`);
      await page.fill("#token", TOKEN);
      await page.click("button[type=submit]");
      await page.waitFor(
        "signed in",
        `document.querySelector("a[href='/new']")`,
      );

      // Create from the form; the spec previews its next fire times as it is typed.
      await page.goto(`${url}/new`);
      await page.fill("#key", "web.hook");
      await page.fill("#spec-0", "*/2 * * * * *");
      await page.waitFor("the preview", `${count("#preview-0 li")} === 5`);
      await page.fill("#url-0", `${hook}/ok`);
      await page.click("button.primary");
      await page.waitFor(
        "the new key's page",
        at("/schedules/web.hook"),
      );
      assert.match(await page.evaluate<string>(text(".notice")), /Created/);

      // Its runs appear without a reload, within seconds of their tick.
      await page.evaluate("window.stayed = true");
      await page.waitFor("a run, live", `${count("tr.run")} > 0`, 5_000);
      assert.equal(await page.evaluate("window.stayed"), true, "no reload");

      // Pause with a note that holds markup: shown as text, never run.
      const note = "<script>alert(1)</script> vendor outage";
      await page.click("details.action:first-of-type summary");
      await page.fill("#note", note);
      await page.click("form[action$='/pause'] button");
      await page.waitFor(
        "paused",
        `${at("/schedules/web.hook")} && document.querySelector("#paused")`,
      );
      assert.equal(await page.evaluate(text("#pause-note")), note);
      assert.deepEqual(page.dialogs, []);
      assert.equal((await schedule.get("web.hook"))[0].state.paused, true);

      // Resume, then trigger now.
      await page.click("form[action$='/resume'] button");
      await page.waitFor(
        "resumed",
        `${
          at("/schedules/web.hook")
        } && !document.querySelector("#paused") && location.search.includes("done")`,
      );
      await page.click("form[action$='/trigger'] button");
      await page.waitFor(
        "triggered",
        `${JSON.stringify("Triggered job 0.")} === (${text(".notice")})`,
      );
      await page.waitFor(
        "the triggered run, badged",
        `[...document.querySelectorAll("tr.run .badge.trigger")].some((b) => b.textContent === "manual")`,
        5_000,
      );

      // Backfill eight seconds of ten minutes ago, both ends included: five ticks of
      // every 2 seconds.
      const from = new Date(Math.floor(Date.now() / 2000) * 2000 - 600_000);
      const to = new Date(from.getTime() + 8_000);
      await page.fill("#from", from.toISOString().slice(0, 19));
      await page.fill("#to", to.toISOString().slice(0, 19));
      await page.click("form[action$='/backfill'] button");
      await page.waitFor(
        "backfilled",
        `(${text(".notice")}).startsWith("Backfilled")`,
      );
      assert.equal(
        await page.evaluate<string>(text(".notice")),
        "Backfilled 5 ticks.",
      );
      await page.waitFor(
        "the backfilled runs, badged",
        `[...document.querySelectorAll("tr.run")].some((tr) => tr.cells[0].textContent.startsWith(${
          JSON.stringify(to.toISOString().slice(0, 10))
        }) && tr.cells[0].textContent.includes(${
          JSON.stringify(to.toISOString().slice(11, 19))
        }) && tr.querySelector(".badge.trigger")?.textContent === "backfill")`,
        5_000,
      );
      // Who did each write: the console's writer, newest first.
      assert.deepEqual(
        await page.evaluate(
          `[...document.querySelectorAll("#revisions li")].map((li) => li.querySelector("strong").textContent + " by " + li.querySelector(".by")?.textContent)`,
        ),
        ["resume by console", "pause by console", "set by console"],
      );
      await screenshot(page, "schedule");

      // A POST without the CSRF token is refused, even signed in.
      const status = await page.evaluate<number>(
        `fetch("/schedules/web.hook/delete", { method: "POST", body: new URLSearchParams({}) }).then((r) => r.status)`,
      );
      assert.equal(status, 403);

      // The failing job's strip turns red on the list, live.
      await page.goto(`${url}/`);
      await page.waitFor(
        "a red strip",
        `document.querySelector('tr[data-key="broken"] .strip i.failed')`,
        5_000,
      );
      assert.match(
        await page.evaluate<string>(text('tr[data-key="broken"]')),
        /failed \(500\)/,
      );
      assert.equal(
        await page.evaluate(
          `[...document.querySelectorAll("tr[data-key]")].map((tr) => tr.dataset.key)[0]`,
        ),
        "broken",
        "sorted by next fire",
      );
      await page.goto(`${url}/?filter=failing`);
      assert.equal(await page.evaluate(count("tr[data-key]")), 1);
      await page.goto(`${url}/`);
      await screenshot(page, "schedules");

      await page.goto(`${url}/cluster`);
      await page.waitFor(
        "a node and a worker",
        `${count("tr[data-role]")} === 2`,
      );
      await screenshot(page, "cluster");

      // Delete, after the confirmation step.
      await page.goto(`${url}/schedules/web.hook`);
      await page.click("form[action$='/delete'] button");
      await page.waitFor(
        "deleted",
        `${at("/")} && ${count('tr[data-key="web.hook"]')} === 0`,
      );
      assert.match(
        await page.evaluate<string>(text(".notice")),
        /Deleted web\.hook/,
      );
      await assert.rejects(schedule.get("web.hook"));

      // Phone width: no horizontal scrolling of the page itself.
      const phone = await browser.newPage(390, 844);
      await phone.goto(`${url}/`);
      assert.ok(
        await phone.evaluate<boolean>(
          "document.documentElement.scrollWidth <= 390",
        ),
        "fits a phone",
      );
      assert.deepEqual(
        [...page.errors, ...phone.errors],
        [],
        "no script error nor CSP violation",
      );
    });
  } finally {
    await browser.close();
  }
});
