import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import { COMPILE_PERMISSIONS } from "./helpers.ts";

Deno.test("the executable is granted network, reading, environment and running programs (for dev) only", () => {
  // `schedule dev` runs the nats-server on PATH; the server writes its own data folder.
  // A scope (--allow-run=nats-server) would print a line at every start where no
  // nats-server is on PATH, as in the container, before the JSON logs.
  assert.deepEqual(COMPILE_PERMISSIONS, [
    "--allow-net",
    "--allow-read",
    "--allow-env",
    "--allow-run",
  ]);
});

Deno.test("deno compile accepts the module graph (runtime: a stand-in for denort)", async () => {
  // The real runtime (denort) is downloaded from Deno's host, which this machine cannot
  // reach; deno compile takes any executable from DENORT_BIN and appends the program.
  const dir = await Deno.makeTempDir();
  const standIn = `${dir}/denort`;
  await Deno.copyFile("/bin/true", standIn);
  const args = denoJson.tasks.compile.split(" ").slice(1)
    .map((arg) => arg === "dist/schedule" ? `${dir}/schedule` : arg);
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: new URL("..", import.meta.url).pathname,
    env: { DENORT_BIN: standIn },
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const { size } = await Deno.stat(`${dir}/schedule`);
  assert.ok(
    size > (await Deno.stat(standIn)).size + 100_000,
    "the program was embedded",
  );
  await Deno.remove(dir, { recursive: true });
});
