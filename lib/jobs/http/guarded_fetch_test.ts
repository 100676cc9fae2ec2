import assert from "node:assert/strict";
import { guardedFetch, RefusedDestination } from "./guarded_fetch.ts";

/** Serves `handler` on loopback for the length of `test`. */
async function withServer(
  handler: Deno.ServeHandler,
  test: (base: string, port: number) => Promise<void>,
): Promise<void> {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    handler,
  );
  try {
    await test(`http://127.0.0.1:${server.addr.port}`, server.addr.port);
  } finally {
    await server.shutdown();
  }
}

const post = () => ({
  method: "POST",
  headers: new Headers({ authorization: "Bearer s3cret" }),
  body: "{}",
});

Deno.test("guardedFetch() follows an allowed redirect, as GET after a 303", async () => {
  const seen: string[] = [];
  await withServer((req) => {
    const path = new URL(req.url).pathname;
    seen.push(`${req.method} ${path}`);
    return path === "/start"
      ? new Response(null, { status: 303, headers: { location: "/end" } })
      : new Response("done");
  }, async (base) => {
    const response = await guardedFetch(new URL(`${base}/start`), post(), {
      allowHosts: ["127.0.0.1"],
    });
    assert.equal(await response.text(), "done");
  });
  assert.deepEqual(seen, ["POST /start", "GET /end"]);
});

Deno.test("guardedFetch() checks the allow list again on every redirect hop", async () => {
  let reachedOther = false;
  await withServer(() => {
    reachedOther = true;
    return new Response("other");
  }, async (_, otherPort) => {
    await withServer(
      () =>
        new Response(null, {
          status: 302,
          headers: { location: `http://localhost:${otherPort}/` },
        }),
      async (base) => {
        await assert.rejects(
          guardedFetch(new URL(base), post(), { allowHosts: ["127.0.0.1"] }),
          RefusedDestination,
        );
      },
    );
  });
  assert.equal(reachedOther, false);
});

Deno.test("guardedFetch() refuses a redirect into a blocked network (loopback standing in)", async () => {
  await withServer(
    () =>
      new Response(null, {
        status: 307,
        headers: { location: "http://127.0.0.2:1/" },
      }),
    async (base) => {
      await assert.rejects(
        guardedFetch(new URL(base), post(), {
          blockedNetworks: ["127.0.0.2/32"],
        }),
        (err: Error) =>
          err instanceof RefusedDestination && /127\.0\.0\.2/.test(err.message),
      );
    },
  );
});

Deno.test("guardedFetch() does not send credentials to another origin", async () => {
  let authorization: string | null = "unset";
  await withServer((req) => {
    authorization = req.headers.get("authorization");
    return new Response("ok");
  }, async (_, otherPort) => {
    await withServer(
      () =>
        new Response(null, {
          status: 307,
          headers: { location: `http://localhost:${otherPort}/` },
        }),
      async (base) => {
        const response = await guardedFetch(new URL(base), post(), {});
        await response.body?.cancel();
      },
    );
  });
  assert.equal(authorization, null);
});

Deno.test("guardedFetch() gives up a destination's name lookup that hangs once its signal aborts", async () => {
  const hanging = () => new Promise<string[]>(() => {});
  const started = performance.now();
  await assert.rejects(
    guardedFetch(
      new URL("http://hook.example.com/"),
      {
        method: "GET",
        headers: new Headers(),
        signal: AbortSignal.timeout(100),
      },
      {},
      hanging,
    ),
    (err: Error) => err.name === "TimeoutError",
  );
  assert.ok(performance.now() - started < 2000);
});
