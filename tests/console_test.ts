/**
 * The console's handlers over plain HTTP (no browser): pages, security headers,
 * sign-in, CSRF, escaping, the spec preview, and live updates.
 */

import assert from "node:assert/strict";
import { HttpJob, Schedule } from "../mod.ts";
import { TOKEN, withConsole } from "./_console.ts";
import { answerStatusBadly, rawRunRecord, waitFor } from "./helpers.ts";
import { NatsServer } from "./nats_server.ts";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { NamespaceNames } from "../lib/nats/names.ts";
import { NotFoundError } from "../lib/errors.ts";
import { parseConfig } from "../lib/ops/config.ts";
import { startConsole } from "../lib/console/mod.ts";

/** A browser-like session: keeps cookies, reads the CSRF token of pages. */
class Session {
  cookies = new Map<string, string>();
  constructor(readonly base: string) {}

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set(
      "cookie",
      [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; "),
    );
    const response = await fetch(this.base + path, {
      ...init,
      headers,
      redirect: "manual",
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const at = pair.indexOf("=");
      this.cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return response;
  }

  async page(path: string): Promise<string> {
    const response = await this.fetch(path);
    assert.equal(response.status, 200, path);
    return await response.text();
  }

  async csrf(): Promise<string> {
    const page = await this.page("/login");
    return /name="csrf" value="([^"]+)"/.exec(page)![1];
  }

  async post(path: string, fields: Record<string, string>): Promise<Response> {
    return await this.fetch(path, {
      method: "POST",
      body: new URLSearchParams(fields),
    });
  }

  async signIn(): Promise<void> {
    const csrf = await this.csrf();
    const response = await this.post("/login", {
      csrf,
      token: TOKEN,
      next: "/",
    });
    assert.equal(response.status, 303);
    await response.body?.cancel();
  }
}

Deno.test("console: pages answer with a strict CSP, escape what they show, and refuse writes without sign-in and CSRF", async () => {
  await withConsole(async ({ url, schedule, hook }) => {
    await schedule.set(
      "billing.nightly",
      HttpJob("0 30 2 * * *", {
        url: `${hook}/ok`,
        headers: { "x-api-key": "s3cret-value" },
      }, "Europe/Paris"),
    );
    const browser = new Session(url);
    const list = await browser.fetch("/");
    assert.match(
      list.headers.get("content-security-policy")!,
      /default-src 'self'; script-src 'self'/,
    );
    const text = await list.text();
    assert.match(text, /billing\.nightly/);
    assert.match(text, /At 02:30/);
    assert.match(text, /Europe\/Paris/);
    assert.doesNotMatch(text, /<script>(?!<\/script>)/);
    // 50 a page, soonest first: billing.nightly (02:30) before the yearly ones.
    await Promise.all(
      Array.from(
        { length: 50 },
        (_, i) =>
          schedule.set(`bulk.${i}`, HttpJob("@yearly", { url: `${hook}/ok` })),
      ),
    );
    let first = "";
    await waitFor("the 51 keys listed", async () => {
      first = await browser.page("/");
      return first.includes("51 keys");
    });
    assert.match(first, /51 keys, page 1 of 2/);
    assert.equal(first.match(/<tr data-key=/g)?.length, 50);
    assert.match(first, /data-key="billing\.nightly"/);
    const second = await browser.page("/?q=&filter=all&page=2");
    assert.equal(second.match(/<tr data-key=/g)?.length, 1);
    const page = await browser.page("/schedules/billing.nightly");
    assert.match(page, /x-api-key/);
    assert.doesNotMatch(
      page,
      /s3cret-value/,
      "secret header values are never shown",
    );
    for (
      const asset of [
        "/assets/console.css",
        "/assets/console.js",
        "/assets/favicon.svg",
      ]
    ) {
      assert.equal((await browser.fetch(asset)).status, 200, asset);
    }

    // Not signed in: refused, even with the CSRF token.
    const csrf = await browser.csrf();
    let response = await browser.post("/schedules/billing.nightly/pause", {
      csrf,
    });
    assert.equal(response.status, 403);
    await response.body?.cancel();
    // A wrong token does not sign in.
    response = await browser.post("/login", { csrf, token: "nope" });
    assert.equal(response.status, 401);
    await response.body?.cancel();
    await browser.signIn();
    // Signed in, but without the CSRF token, or with another session's: refused.
    response = await browser.post("/schedules/billing.nightly/pause", {
      note: "x",
    });
    assert.equal(response.status, 403);
    assert.match(await response.text(), /CSRF/);
    const other = new Session(url);
    for (const stale of [await other.csrf(), csrf]) {
      // Another session's token, and the one of the session before signing in.
      response = await browser.post("/schedules/billing.nightly/pause", {
        csrf: stale,
      });
      assert.equal(response.status, 403);
      await response.body?.cancel();
    }
    assert.equal(
      (await schedule.get("billing.nightly"))[0].state.paused,
      false,
    );

    // With it (of the new session signing in started): paused, and a note with markup
    // is shown as text.
    response = await browser.post("/schedules/billing.nightly/pause", {
      csrf: await browser.csrf(),
      note: "<script>alert(1)</script>",
    });
    assert.equal(response.status, 303);
    await response.body?.cancel();
    assert.equal((await schedule.get("billing.nightly"))[0].state.paused, true);
    const paused = await browser.page("/schedules/billing.nightly");
    assert.match(paused, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.doesNotMatch(paused, /<script>alert/);
    // The revisions say who paused, and the state who wrote last.
    assert.match(
      paused,
      /<strong>pause<\/strong>[^<]*by <span class="by">console<\/span>/,
    );
    assert.match(paused, /updated [^<]* by console/);
    assert.match(await browser.page("/?filter=paused"), /billing\.nightly/);
  });
});

Deno.test("console: the form creates with set's validation; the preview and the live stream answer", async () => {
  await withConsole(async ({ url, schedule, hook }) => {
    const browser = new Session(url);
    await browser.signIn();
    const csrf = await browser.csrf();
    const bad = await browser.post("/schedules", {
      csrf,
      key: "report",
      "spec.0": "61 * * * * *",
      "url.0": `${hook}/ok`,
    });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /id="form-error"/);
    const preview = await (await browser.fetch(
      `/api/next?spec=${encodeURIComponent("0 0 9 * * *")}&tz=Asia/Tokyo`,
    )).json();
    assert.equal(preview.next.length, 5);
    assert.match(preview.next[0], /09:00:00 Asia\/Tokyo$/);
    // A zone only shown (the spec has its own) is checked as a job's: each spelling of
    // a name made a formatter the console kept.
    const shownIn = await browser.fetch(
      `/api/next?spec=${
        encodeURIComponent("TZ=UTC * * * * *")
      }&tz=eUrOpE/pArIs`,
    );
    assert.equal(shownIn.status, 422);
    assert.match((await shownIn.json()).error, /write Europe\/Paris/);

    const live = await browser.fetch("/live?key=report");
    assert.equal(live.headers.get("content-type"), "text/event-stream");
    const reader = live.body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = "";
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        received += value;
      }
    })();
    const created = await browser.post("/schedules", {
      csrf,
      key: "report",
      "spec.0": "@every 1s",
      "url.0": `${hook}/ok`,
      "method.0": "POST",
    });
    assert.equal(created.status, 303);
    const location = new URL(created.headers.get("location")!, url);
    assert.equal(location.pathname, "/schedules/report");
    assert.equal(location.searchParams.get("done"), "Created.");
    assert.match(
      await browser.page(`${location.pathname}${location.search}`),
      /class="notice" role="status">Created\.</,
    );
    // A notice only the console's own redirect carries: a link made elsewhere, or one
    // made for another browser, shows none.
    const mac = location.searchParams.get("mac")!;
    const forged = new URLSearchParams({
      error: "Signed out: sign in at evil",
      mac,
    });
    assert.doesNotMatch(
      await browser.page(`/schedules/report?${forged}`),
      /class="notice/,
    );
    assert.doesNotMatch(
      await new Session(url).page(`${location.pathname}${location.search}`),
      /class="notice/,
    );
    const again = await browser.post("/schedules", {
      csrf,
      key: "report",
      "spec.0": "@hourly",
      "url.0": `${hook}/ok`,
    });
    assert.equal(again.status, 400, "a new key that exists is refused");
    assert.match(await again.text(), /report&quot; exists already/);
    assert.equal((await schedule.get("report"))[0].spec, "@every 1s");
    await waitFor(
      "a run of report",
      async () => (await schedule.history("report")).length > 0,
    );
    await waitFor(
      "a definition and a run update",
      () =>
        received.includes('"kind":"definition"') &&
        received.includes('"kind":"run"'),
    );
    await reader.cancel();
    await reading;
    const cluster = await browser.page("/cluster");
    assert.match(cluster, /data-role="node"/);
    assert.match(cluster, /data-role="worker"/);
  });
});

Deno.test("console: `schedule console` serves the namespace from the config and stops on SIGTERM", async () => {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  await Schedule.create("beta", nc);
  await nc.close();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../server.ts", import.meta.url).pathname,
      "console",
    ],
    env: {
      SCHEDULE_NAMESPACE: "beta",
      SCHEDULE_NATS_HOSTS: server.url,
      SCHEDULE_CONSOLE_PORT: "0",
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let log = "";
  let url: string | undefined;
  while (url === undefined) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`the console did not start: ${log}`);
    log += value;
    url = /"url":"(http:[^"]+)"/.exec(log)?.[1];
  }
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, "localhost by default");
  const page = await (await fetch(`${url}/`)).text();
  assert.match(page, /schedule <span class="muted">beta<\/span>/);
  assert.match(page, /read-only/);
  child.kill("SIGTERM");
  assert.equal((await child.status).code, 0);
  await lines.cancel();
});

Deno.test("console: saving the form of a paused key keeps it paused, with its note", async () => {
  await withConsole(async ({ url, schedule, hook }) => {
    await schedule.set("paused.key", HttpJob("@hourly", { url: `${hook}/ok` }));
    await schedule.pause("paused.key", { note: "vendor outage", by: "alice" });
    const browser = new Session(url);
    await browser.signIn();
    let revision = 0;
    await waitFor("the console sees the pause", async () => {
      const page = await browser.page("/schedules/paused.key/edit");
      revision = Number(/name="revision" value="(\d+)"/.exec(page)?.[1] ?? 0);
      return revision === (await schedule.describe("paused.key")).revision;
    });
    const saved = await browser.post("/schedules/paused.key/edit", {
      csrf: await browser.csrf(),
      revision: String(revision),
      "spec.0": "@daily",
      "url.0": `${hook}/ok`,
      "method.0": "POST",
    });
    assert.equal(saved.status, 303);
    await saved.body?.cancel();
    const after = await schedule.describe("paused.key");
    assert.equal(after.jobs[0].spec, "@daily");
    assert.equal(after.paused, true, "an edit does not resume the key");
    assert.deepEqual(
      [after.pause?.note, after.pause?.by],
      ["vendor outage", "alice"],
      "nor drop its note",
    );
  });
});

Deno.test("console: the edit form shows a URL's credentials as *** and a save keeps them", async () => {
  await withConsole(async ({ url, schedule, hook }) => {
    const secret = hook.replace("http://", "http://bot:s3cret-pw@");
    await schedule.set(
      "with.creds",
      HttpJob("@hourly", { url: `${secret}/ok` }),
    );
    const browser = new Session(url);
    await browser.signIn();
    let page = "";
    await waitFor("the console sees the key", async () => {
      page = await browser.page("/schedules/with.creds/edit");
      return page.includes('name="revision"');
    });
    assert.doesNotMatch(page, /s3cret-pw/, "the password is never shown");
    const shown = /name="url\.0"[^>]*value="([^"]+)"/.exec(page)?.[1];
    assert.equal(shown, `${hook.replace("http://", "http://***@")}/ok`);
    const saved = await browser.post("/schedules/with.creds/edit", {
      csrf: await browser.csrf(),
      revision: /name="revision" value="(\d+)"/.exec(page)![1],
      "spec.0": "@daily",
      "url.0": shown!,
      "method.0": "POST",
    });
    assert.equal(saved.status, 303);
    await saved.body?.cancel();
    const [job] = await schedule.get("with.creds");
    assert.equal(job.spec, "@daily");
    assert.equal((job.option as { url: string }).url, `${secret}/ok`);
  });
});

Deno.test("console: a definitions bucket and a run history deleted and created again are followed again; a purged bucket too", async () => {
  await withConsole(async ({ url, nc, schedule, hook }) => {
    await schedule.set(
      "before.delete",
      HttpJob("@yearly", { url: `${hook}/ok` }),
    );
    const browser = new Session(url);
    await waitFor(
      "the key listed",
      async () => (await browser.page("/")).includes("before.delete"),
    );
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete("KV_schedule-beta");
    await jsm.streams.delete("schedule-beta-runs");
    // Created again as any client opening the namespace does.
    const again = await Schedule.create("beta", nc);
    await again.set(
      "after.create",
      HttpJob("* * * * * *", { url: `${hook}/fail` }),
    );
    await waitFor("the new key listed, the old one gone", async () => {
      const page = await browser.page("/");
      return page.includes("after.create") && !page.includes("before.delete");
    });
    await waitFor(
      "its failed runs read from the new run history",
      async () =>
        (await browser.page("/?filter=failing")).includes("after.create"),
    );
    // Purged whole, without a deletion marker: the key goes too.
    await jsm.streams.purge("KV_schedule-beta");
    await waitFor(
      "the purged key gone",
      async () => !(await browser.page("/")).includes("after.create"),
    );
  });
});

Deno.test("console: the failing filter goes by the runs of each key's definition as it is now", async () => {
  await withConsole(async ({ url, schedule, hook }) => {
    await schedule.set(
      "flaky",
      HttpJob("* * * * * *", { url: `${hook}/fail` }),
    );
    const browser = new Session(url);
    const failing = async () =>
      (await browser.page("/?filter=failing")).includes('data-key="flaky"');
    await waitFor("listed as failing", failing);
    // Fixed: its last run (a failure) is of the definition before.
    await schedule.set("flaky", HttpJob("@yearly", { url: `${hook}/ok` }));
    await waitFor(
      "no longer failing once set again",
      async () => !await failing(),
    );
  });
});

Deno.test("console: what someone else wrote in NATS (a run record, discovery replies) breaks no page", async () => {
  await withConsole(async ({ url, nc, schedule, hook }) => {
    await schedule.set("odd", HttpJob("@yearly", { url: `${hook}/ok` }));
    await jetstream(nc).publish(
      new NamespaceNames("beta").runSubject("odd", 0),
      rawRunRecord("odd", { error: 5 }),
    );
    const answering = answerStatusBadly(nc);
    try {
      const browser = new Session(url);
      await waitFor("the key's page", async () => {
        const response = await browser.fetch("/schedules/odd");
        await response.body?.cancel();
        assert.notEqual(response.status, 500);
        return response.status === 200;
      });
      // The node, the worker and the well-formed fake; the rest skipped.
      await waitFor(
        "the cluster page with three processes",
        async () =>
          (await browser.page("/cluster")).includes(
            "3 processes answered discovery",
          ),
      );
      assert.match(await browser.page("/cluster"), /fake-1/);
    } finally {
      answering.unsubscribe();
    }
  });
});

/** A form body that sends `first` and then never ends; aborted by `signal`. */
function unending(first: string, signal: AbortSignal): ReadableStream {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(first));
      signal.addEventListener("abort", () => controller.error(signal.reason));
    },
  });
}

/** A form body of `size` bytes or more, sent in chunks without a length. */
function chunked(size: number): ReadableStream {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= size) return controller.close();
      const chunk = new TextEncoder().encode(`note=${"x".repeat(65_536)}&`);
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
}

Deno.test("console: a POST is refused before its body is read when it needs no look at it, and a body over 4 MiB with 413; a large definition is saved", async () => {
  await withConsole(async ({ url, schedule, hook }) => {
    await schedule.set("big", HttpJob("@yearly", { url: `${hook}/ok` }));
    const browser = new Session(url);
    const csrf = await browser.csrf();
    const form = "application/x-www-form-urlencoded";
    const stop = new AbortController();
    try {
      // Not signed in: refused while the body is still being sent.
      const response = await browser.fetch("/schedules/big/pause", {
        method: "POST",
        headers: { "content-type": form },
        body: unending(`csrf=${csrf}&note=`, stop.signal),
        signal: AbortSignal.any([stop.signal, AbortSignal.timeout(5000)]),
        duplex: "half",
      } as RequestInit);
      assert.equal(response.status, 403);
      assert.match(await response.text(), /sign in/);
    } finally {
      stop.abort();
    }
    const tooLarge = async (path: string, body: BodyInit) => {
      const response = await browser.fetch(path, {
        method: "POST",
        headers: { "content-type": form },
        body,
        duplex: "half",
      } as RequestInit);
      assert.equal(response.status, 413, path);
      assert.match(await response.text(), /at most 4194304 bytes/);
    };
    const big = `csrf=${csrf}&token=${"x".repeat(4 * 1024 * 1024)}`;
    await tooLarge("/login", big);
    await tooLarge("/login", chunked(5 * 1024 * 1024));
    await browser.signIn();
    await tooLarge("/schedules/big/pause", big);
    assert.equal((await schedule.get("big"))[0].state.paused, false);
    // Below the limit, a long note is read.
    const note = "n".repeat(512 * 1024);
    const response = await browser.post("/schedules/big/pause", {
      csrf: await browser.csrf(), // signing in started a new session
      note,
    });
    assert.equal(response.status, 303);
    await response.body?.cancel();
    assert.equal((await schedule.describe("big")).pause?.note, note);
    // A definition of 600 KB, its body shown indented, is saved as shown: the form is
    // about twice as large as the definition, over 1 MiB.
    const body = new Array(100_000).fill(12345);
    await schedule.set(
      "large",
      HttpJob("@yearly", { url: `${hook}/ok`, body }),
    );
    const { revision } = await schedule.describe("large");
    const fields = {
      csrf: await browser.csrf(),
      revision: String(revision),
      "spec.0": "@daily",
      "url.0": `${hook}/ok`,
      "method.0": "POST",
      "body.0": JSON.stringify(body, null, 2),
    };
    assert.ok(new URLSearchParams(fields).toString().length > 1024 * 1024);
    const saved = await browser.post("/schedules/large/edit", fields);
    assert.equal(saved.status, 303);
    assert.equal((await schedule.get("large"))[0].spec, "@daily");
  });
});

Deno.test("console: sign-in goes back only to a path of the console", async () => {
  await withConsole(async ({ url }) => {
    for (
      const [next, location] of [
        ["/schedules/a?filter=paused", "/schedules/a?filter=paused"],
        ["/\t/evil.example/", "/"],
        ["//evil.example/", "/"],
        ["/\\evil.example/", "/"],
        ["https://evil.example/", "/"],
        ["/a\nb", "/ab"],
      ]
    ) {
      const browser = new Session(url);
      const response = await browser.post("/login", {
        csrf: await browser.csrf(),
        token: TOKEN,
        next,
      });
      assert.equal(response.status, 303, JSON.stringify(next));
      await response.body?.cancel();
      assert.equal(
        response.headers.get("location"),
        location,
        JSON.stringify(next),
      );
    }
    const form = await new Session(url).page(
      `/login?next=${encodeURIComponent("/\t/evil.example/")}`,
    );
    assert.doesNotMatch(form, /evil\.example/);
  });
});

Deno.test("console: a start that fails part-way stops what it started (the definitions watch)", async () => {
  const dir = await Deno.makeTempDir();
  // The console user may not follow the run history: the start fails after the
  // definitions watch began.
  const runs = "$JS.API.CONSUMER.CREATE.schedule-beta-runs";
  await Deno.writeTextFile(
    `${dir}/nats.conf`,
    `authorization { users = [
  { user: admin, password: admin }
  { user: console, password: console,
    permissions: { publish: { deny: ["${runs}", "${runs}.>"] } } }
] }\n`,
  );
  await using server = await NatsServer.start(["-c", `${dir}/nats.conf`]);
  const as = (user: string) =>
    connect({ servers: server.url, user, pass: user });
  const admin = await as("admin");
  const nc = await as("console");
  try {
    await (await Schedule.create("beta", admin)).set(
      "k",
      HttpJob("@yearly", { url: "http://127.0.0.1:1/" }),
    );
    const config = parseConfig(
      `namespace: beta\nnats: { hosts: ["${server.url}"] }\nlog: { level: error }\nconsole: { port: 0 }\n`,
      {},
    );
    await assert.rejects(startConsole(nc, config), /Permissions Violation/);
    // Its consumer goes 5 s after the watch's last pull, when the watch stopped.
    const jsm = await jetstreamManager(admin);
    await waitFor(
      "no reader left on the definitions bucket",
      async () =>
        (await jsm.consumers.list("KV_schedule-beta").next()).length === 0,
      15_000,
    );
  } finally {
    await nc.close();
    await admin.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("console: on a namespace nothing was set in (a typo) it does not start, and creates nothing", async () => {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  const config = parseConfig(
    `namespace: typo\nnats: { hosts: ["${server.url}"] }\nconsole: { port: 0 }\n`,
    {},
  );
  await assert.rejects(startConsole(nc, config), NotFoundError);
  const streams: string[] = [];
  for await (const name of (await jetstreamManager(nc)).streams.names()) {
    streams.push(name);
  }
  assert.deepEqual(streams, []);
  await nc.close();
});

Deno.test("console: on a loopback address it answers only to a loopback Host (DNS rebinding)", async () => {
  await withConsole(async ({ url }) => {
    const { hostname, port } = new URL(url);
    const get = async (host: string) => {
      const conn = await Deno.connect({ hostname, port: Number(port) });
      await conn.write(
        new TextEncoder().encode(
          `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
        ),
      );
      return (await new Response(conn.readable).text()).split("\r\n")[0];
    };
    assert.equal(
      await get(`rebind.attacker.example:${port}`),
      "HTTP/1.1 421 Misdirected Request",
    );
    assert.equal(await get(`localhost:${port}`), "HTTP/1.1 200 OK");
    assert.equal(await get(`127.0.0.1:${port}`), "HTTP/1.1 200 OK");
  });
});
