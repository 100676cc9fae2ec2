import assert from "node:assert/strict";
import { ensureNatsServer, findNatsServer } from "./binary.ts";

/** A temporary folder with a fake `nats-server` file in each of `dirs` (relative). */
async function fakes(...dirs: string[]): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "nats-binary-" });
  for (const dir of dirs) {
    await Deno.mkdir(`${root}/${dir}`, { recursive: true });
    await Deno.writeTextFile(`${root}/${dir}/nats-server`, "#!/bin/sh\n");
  }
  return root;
}

Deno.test("NATS_SERVER_BIN first, then PATH, then the newest cached version", async () => {
  const root = await fakes(
    "bin",
    "cache/2.9.10",
    "cache/2.10.3",
    "cache/2.10.27",
  );
  await Deno.mkdir(`${root}/cache/2.11.0`); // no binary in it
  const cacheDir = `${root}/cache`;
  const find = (env: Record<string, string>, version?: string) =>
    findNatsServer({ env, cacheDir, version });

  assert.equal(
    await find({ NATS_SERVER_BIN: "/opt/nats", PATH: `${root}/bin` }),
    "/opt/nats",
  );
  assert.equal(
    await find({ PATH: `${root}/none:${root}/bin` }),
    `${root}/bin/nats-server`,
  );
  assert.equal(await find({ PATH: "" }), `${cacheDir}/2.10.27/nats-server`);
  // A version asks the cache only.
  assert.equal(
    await find({ NATS_SERVER_BIN: "/opt/nats", PATH: `${root}/bin` }, "2.9"),
    `${cacheDir}/2.9.10/nats-server`,
  );
  assert.equal(await find({}, "2.12"), undefined);
  assert.equal(
    await findNatsServer({ env: {}, cacheDir: `${root}/missing` }),
    undefined,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("the cache root follows XDG_CACHE_HOME, else HOME", async () => {
  const root = await fakes(
    "xdg/schedule/nats-server/2.10.1",
    "home/.cache/schedule/nats-server/2.10.2",
  );
  assert.equal(
    await findNatsServer({ env: { XDG_CACHE_HOME: `${root}/xdg` } }),
    `${root}/xdg/schedule/nats-server/2.10.1/nats-server`,
  );
  assert.equal(
    await findNatsServer({ env: { HOME: `${root}/home` } }),
    `${root}/home/.cache/schedule/nats-server/2.10.2/nats-server`,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("an install waits for the one under way and uses its binary", async () => {
  const cacheDir = await Deno.makeTempDir({ prefix: "nats-cache-" });
  // Another installer holds the lock ...
  using lock = await Deno.open(`${cacheDir}/.lock`, {
    create: true,
    write: true,
  });
  await lock.lock(true);
  let settled = false;
  const waiting = ensureNatsServer({ env: {}, cacheDir })
    .finally(() => settled = true);
  // A negative cannot be polled for: give it time to find nothing and reach the lock.
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(settled, false, "it waits for the lock instead of installing");
  // ... and finishes its install.
  await Deno.mkdir(`${cacheDir}/2.10.27`);
  await Deno.writeTextFile(`${cacheDir}/2.10.27/nats-server`, "#!/bin/sh\n");
  await lock.unlock();
  assert.equal(await waiting, `${cacheDir}/2.10.27/nats-server`);
  await Deno.remove(cacheDir, { recursive: true });
});
