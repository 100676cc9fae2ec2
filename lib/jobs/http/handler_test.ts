import assert from "node:assert/strict";
import { brotliCompressSync } from "node:zlib";
import type { HttpOption, Tick } from "../../types.ts";
import {
  httpHandler,
  type HttpHandlerOptions,
  redactUrl,
  RUN_HEADERS,
} from "./handler.ts";
import { closingPort } from "../../../tests/helpers.ts";

interface Received {
  method: string;
  path: string;
  headers: Headers;
  body: string;
}

/** A local HTTP server answering with `respond`; `received` records the requests. */
async function withServer(
  respond: (request: Received) => Response | Promise<Response>,
  fn: (base: string, received: Received[]) => Promise<void>,
): Promise<void> {
  const received: Received[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const request = {
        method: req.method,
        path: new URL(req.url).pathname,
        headers: req.headers,
        body: await req.text(),
      };
      received.push(request);
      return await respond(request);
    },
  );
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`, received);
  } finally {
    await server.shutdown();
  }
}

const scheduledAt = new Date("2030-01-01T00:00:00Z");

function tick(option: HttpOption): Tick {
  return {
    namespace: "beta",
    key: "test",
    index: 0,
    scheduledAt,
    mode: "HTTP",
    spec: "@hourly",
    option,
  };
}

function run(
  option: HttpOption,
  options: Partial<HttpHandlerOptions> = {},
  signal = new AbortController().signal,
) {
  const handler = httpHandler({ timeout: 5000, ...options });
  return handler(tick(option), { attempt: 2, msgId: "beta.test.0.1", signal });
}

Deno.test("a 2xx is a success with its status and the response's first bytes", () =>
  withServer(
    () => new Response("0123456789abcdef", { status: 201 }),
    async (base) => {
      const result = await run({ url: `${base}/hook` }, { responseBytes: 10 });
      assert.deepEqual(result, {
        outcome: "success",
        status: 201,
        response: "0123456789",
      });
    },
  ));

Deno.test("the response is kept up to 1024 bytes by default", () =>
  withServer(
    () => new Response("x".repeat(5000)),
    async (base) => {
      const result = await run({ url: `${base}/hook` });
      assert.equal(result?.response, "x".repeat(1024));
    },
  ));

Deno.test("a small compressed response is cut as it is read, not decompressed whole", () =>
  withServer(
    () =>
      new Response(
        new Uint8Array(brotliCompressSync(new Uint8Array(16 << 20))),
        {
          headers: { "content-encoding": "br" },
        },
      ),
    async (base) => {
      const result = await run({ url: `${base}/hook` });
      assert.equal(result?.response?.length, 1024);
    },
  ));

Deno.test("a 5xx is retried", () =>
  withServer(
    () => new Response("down", { status: 503 }),
    async (base) => {
      assert.deepEqual(await run({ url: `${base}/hook` }), {
        outcome: "retry",
        status: 503,
        response: "down",
        error: "HTTP 503",
        retryAfter: undefined,
      });
    },
  ));

Deno.test("a 429 is retried, Retry-After read as seconds or as a date", () =>
  withServer(
    (request) =>
      new Response(null, {
        status: 429,
        headers: {
          "retry-after": request.path === "/seconds"
            ? "2"
            : request.path === "/date"
            ? new Date(Date.now() + 60_000).toUTCString()
            : "soon",
        },
      }),
    async (base) => {
      const seconds = await run({ url: `${base}/seconds` });
      assert.equal(seconds?.outcome, "retry");
      assert.equal(seconds?.status, 429);
      assert.equal(seconds?.error, "HTTP 429");
      assert.equal(seconds?.retryAfter, 2000);
      const date = await run({ url: `${base}/date` });
      assert.ok(
        date?.retryAfter !== undefined && date.retryAfter > 50_000 &&
          date.retryAfter <= 60_000,
        `${date?.retryAfter}`,
      );
      const invalid = await run({ url: `${base}/invalid` });
      assert.equal(invalid?.retryAfter, undefined);
    },
  ));

Deno.test("any other 4xx fails for good", () =>
  withServer(
    () => new Response("no such hook", { status: 404 }),
    async (base) => {
      assert.deepEqual(await run({ url: `${base}/hook` }), {
        outcome: "failed",
        status: 404,
        response: "no such hook",
        error: "HTTP 404",
      });
    },
  ));

Deno.test("a timeout is retried, with the job's timeout, else the handler's", async () => {
  const released = Promise.withResolvers<void>();
  await withServer(
    async () => {
      await released.promise;
      return new Response("late");
    },
    async (base) => {
      const own = await run({ url: `${base}/hook`, timeout: "100ms" });
      assert.deepEqual(own, {
        outcome: "retry",
        error: "timed out after 100 ms",
      });
      const fallback = await run({ url: `${base}/hook` }, { timeout: 150 });
      assert.deepEqual(fallback, {
        outcome: "retry",
        error: "timed out after 150 ms",
      });
      released.resolve();
    },
  );
});

Deno.test("a network error is retried; its message shows no credentials or query", async () => {
  using refusing = closingPort();
  const { port } = refusing;
  const result = await run({
    url: `http://user:pw@127.0.0.1:${port}/hook?token=s3cr3t`,
  });
  assert.equal(result?.outcome, "retry");
  assert.ok(result?.error, "an error is given");
  assert.ok(
    !result.error.includes("s3cr3t") && !result.error.includes("pw@"),
    result.error,
  );
});

Deno.test("a host out of the allow list is refused without a request", () =>
  withServer(
    () => new Response("ok"),
    async (base, received) => {
      const result = await run({ url: `${base}/hook` }, {
        allowHosts: ["api.example.com"],
      });
      assert.deepEqual(result, {
        outcome: "failed",
        error: "host 127.0.0.1 is not in the worker's allow list",
      });
      assert.equal(received.length, 0);
      const allowed = await run({ url: `${base}/hook` }, {
        allowHosts: ["127.0.0.1"],
      });
      assert.equal(allowed?.outcome, "success");
      assert.equal(received.length, 1);
    },
  ));

Deno.test("a redirect is followed to an allowed destination; one to another host is refused", () =>
  withServer(
    (request) =>
      request.path === "/moved"
        ? new Response(null, {
          status: 302,
          headers: { location: "/target" },
        })
        : request.path === "/away"
        ? new Response(null, {
          status: 302,
          headers: { location: "http://localhost:1/elsewhere" },
        })
        : new Response("arrived"),
    async (base, received) => {
      const listed = await run({ url: `${base}/moved` }, {
        allowHosts: ["127.0.0.1"],
      });
      assert.equal(listed?.outcome, "success");
      assert.equal(listed?.response, "arrived");
      const away = await run({ url: `${base}/away` }, {
        allowHosts: ["127.0.0.1"],
      });
      assert.deepEqual(away, {
        outcome: "failed",
        error: "host localhost is not in the worker's allow list",
      });
      assert.deepEqual(received.map((r) => r.path), [
        "/moved",
        "/target",
        "/away",
      ]);
    },
  ));

Deno.test("a redirect to a scheme other than http or https is refused, never read", async () => {
  const secret = await Deno.makeTempFile();
  await Deno.writeTextFile(secret, "S3CR3T");
  try {
    await withServer(
      (request) =>
        new Response(null, {
          status: 303,
          headers: {
            location: request.path === "/file"
              ? `file://${secret}`
              : "data:text/plain,S3CR3T",
          },
        }),
      async (base) => {
        for (const [path, scheme] of [["/file", "file:"], ["/data", "data:"]]) {
          assert.deepEqual(await run({ url: `${base}${path}` }), {
            outcome: "failed",
            error: `scheme ${scheme} is not http: or https:`,
          });
        }
      },
    );
  } finally {
    await Deno.remove(secret);
  }
});

Deno.test("a 3xx with nowhere to go, redirecting for ever, or to what is not a URL, fails saying which", () =>
  withServer(
    (request) =>
      new Response(null, {
        status: 302,
        headers: request.path === "/loop"
          ? { location: "/loop" }
          : request.path === "/bad"
          ? { location: "http://exa mple.com/cb?code=S3CR3T" }
          : {},
      }),
    async (base) => {
      const options = { allowHosts: ["127.0.0.1"] };
      const nowhere = await run({ url: `${base}/nowhere` }, options);
      assert.equal(nowhere?.error, "HTTP 302: a redirect without a Location");
      const loop = await run({ url: `${base}/loop` }, options);
      assert.equal(loop?.error, "HTTP 302: more than 5 redirects");
      const bad = await run({ url: `${base}/bad` }, options);
      assert.deepEqual(bad, {
        outcome: "failed",
        status: 302,
        response: "",
        error: "HTTP 302: a redirect whose Location is not a URL",
      });
    },
  ));

Deno.test("the job's own headers, secret or not, are not sent to another origin on a redirect", async () => {
  Deno.env.set("SCHEDULE_SECRET_API_KEY", "S3CR3T");
  try {
    await withServer(
      (request) =>
        request.path === "/away"
          ? new Response(null, {
            status: 307,
            headers: {
              location: request.headers.get("host")!.startsWith("127.")
                ? `${request.headers.get("x-base")}/here`
                : "/there",
            },
          })
          : new Response("arrived"),
      async (base, received) => {
        const other = base.replace("127.0.0.1", "localhost");
        const result = await run({
          url: `${base}/away`,
          headers: { "x-base": other, "x-plain": "p" },
          secretHeaders: { "X-Api-Key": "api-key" },
        });
        assert.equal(result?.outcome, "success");
        const [first, second] = received;
        assert.equal(first.headers.get("x-api-key"), "S3CR3T");
        assert.equal(first.headers.get("x-plain"), "p");
        assert.equal(second.path, "/here");
        for (const name of ["x-api-key", "x-plain", "x-base"]) {
          assert.equal(second.headers.get(name), null, name);
        }
        assert.equal(second.headers.get(RUN_HEADERS.attempt), "2");
      },
    );
  } finally {
    Deno.env.delete("SCHEDULE_SECRET_API_KEY");
  }
});

Deno.test("POST by default, the body as JSON, the job's headers and the run headers", () =>
  withServer(
    () => new Response("ok"),
    async (base, received) => {
      await run({
        url: `${base}/hook`,
        headers: { "x-token": "abc" },
        body: { name: "demo" },
      });
      const [request] = received;
      assert.equal(request.method, "POST");
      assert.equal(request.headers.get("x-token"), "abc");
      assert.equal(request.headers.get("content-type"), "application/json");
      assert.deepEqual(JSON.parse(request.body), { name: "demo" });
      assert.equal(
        request.headers.get(RUN_HEADERS.scheduledAt),
        scheduledAt.toISOString(),
      );
      assert.equal(request.headers.get(RUN_HEADERS.messageId), "beta.test.0.1");
      assert.equal(request.headers.get(RUN_HEADERS.attempt), "2");
      assert.equal(request.headers.get(RUN_HEADERS.trigger), "schedule");
    },
  ));

Deno.test("a cancelled run aborts its call at once", async () => {
  const released = Promise.withResolvers<void>();
  await withServer(
    async () => {
      await released.promise;
      return new Response("late");
    },
    async (base) => {
      const cancel = new AbortController();
      const started = Date.now();
      setTimeout(() => cancel.abort(), 100);
      const result = await run({ url: `${base}/hook` }, {}, cancel.signal);
      assert.deepEqual(result, { outcome: "retry", error: "cancelled" });
      assert.ok(Date.now() - started < 2000);
      released.resolve();
    },
  );
});

Deno.test("a job's content-type is kept", () =>
  withServer(
    () => new Response("ok"),
    async (base, received) => {
      await run({
        url: `${base}/hook`,
        headers: { "content-type": "application/vnd.demo+json" },
        body: { name: "demo" },
      });
      assert.equal(
        received[0].headers.get("content-type"),
        "application/vnd.demo+json",
      );
    },
  ));

Deno.test("no body is sent with GET or HEAD", () =>
  withServer(
    () => new Response("ok"),
    async (base, received) => {
      for (const method of ["GET", "HEAD"] as const) {
        const result = await run({
          url: `${base}/hook`,
          method,
          body: { name: "demo" },
        });
        assert.equal(result?.outcome, "success");
      }
      assert.deepEqual(
        received.map((r) => [r.method, r.body, r.headers.get("content-type")]),
        [["GET", "", null], ["HEAD", "", null]],
      );
      assert.equal(received[0].headers.get(RUN_HEADERS.attempt), "2");
    },
  ));

Deno.test("redactUrl keeps no credentials, query or fragment", () => {
  assert.equal(
    redactUrl(new URL("https://user:pw@api.example.com:8443/a/b?token=x#frag")),
    "https://api.example.com:8443/a/b",
  );
  assert.equal(
    redactUrl(new URL("http://127.0.0.1/")),
    "http://127.0.0.1/",
  );
});
