/**
 * The README's TypeScript examples, and the `ts ignore` examples of the public modules'
 * documentation, checked as a user outside the repository would use them.
 *
 * - A **program** (an example with an `import`) runs against a nats-server of its own,
 *   with `@x/schedule` (or `jsr:@x/schedule`) and its subpaths rewritten to this
 *   repository's files and `127.0.0.1:4222` to the server's address. It must exit with
 *   0 within 30 s, so it must close its connection.
 * - A **fragment** (no `import`) is type-checked with the main module's exports and a
 *   `schedule: Schedule` in scope.
 *
 * @module
 */

import assert from "node:assert/strict";
import { NatsServer } from "./nats_server.ts";

const root = new URL("..", import.meta.url);
const config = new URL("deno.json", root).pathname;

/** Where the examples are: the README and the documented modules' `ts ignore` blocks. */
const SOURCES = [
  "README.md",
  "mod.ts",
  "lib/client/schedule.ts",
  "lib/node/mod.ts",
  "lib/worker/mod.ts",
];

/** The local file of each import of the package, longest first. */
const PACKAGE = [
  ["@x/schedule/node", "lib/node/mod.ts"],
  ["@x/schedule/worker", "lib/worker/mod.ts"],
  ["@x/schedule", "mod.ts"],
].map(([name, path]) => [name, new URL(path, root).href]);

interface Example {
  where: string;
  code: string;
}

/** The `ts` blocks of the README, and the `ts ignore` blocks of a module's JSDoc. */
function examples(path: string): Example[] {
  const text = Deno.readTextFileSync(new URL(path, root));
  const fence = path.endsWith(".md")
    ? /^```ts(?: ignore)?\n([\s\S]*?)^```$/gm
    : /^\s*\* ```ts ignore\n([\s\S]*?)^\s*\* ```$/gm;
  return [...text.matchAll(fence)].map((match) => ({
    where: `${path}:${text.slice(0, match.index).split("\n").length}`,
    code: path.endsWith(".md") ? match[1] : match[1].replace(/^\s*\* ?/gm, ""),
  }));
}

/** The code with the package's imports pointing at this repository's files. */
function local(code: string): string {
  return PACKAGE.reduce(
    (text, [name, file]) =>
      text.replaceAll(`"jsr:${name}"`, `"${file}"`)
        .replaceAll(`"${name}"`, `"${file}"`),
    code,
  );
}

async function deno(args: string[], file: string) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [...args, "--config", config, "--frozen", file],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const decoder = new TextDecoder();
  return {
    code,
    output: decoder.decode(stdout) + decoder.decode(stderr),
  };
}

async function tempFile(code: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "example-" });
  await Deno.writeTextFile(`${dir}/example.ts`, code);
  return `${dir}/example.ts`;
}

const all = SOURCES.flatMap(examples);

Deno.test("the examples are found", () => {
  const programs = all.filter((e) => /^import /m.test(e.code));
  assert.ok(programs.length >= 5, all.map((e) => e.where).join(", "));
  assert.ok(all.length > programs.length, "and fragments");
});

for (const { where, code } of all) {
  if (/^import /m.test(code)) {
    Deno.test(`${where} runs against a nats-server and exits`, async () => {
      await using server = await NatsServer.start();
      const file = await tempFile(
        local(code).replaceAll("127.0.0.1:4222", `127.0.0.1:${server.port}`),
      );
      const result = await deno(
        ["run", "--allow-net", "--allow-env", "--allow-read"],
        file,
      );
      assert.equal(result.code, 0, `${code}\n${result.output}`);
      await Deno.remove(file.replace(/\/[^/]*$/, ""), { recursive: true });
    });
  } else {
    Deno.test(`${where} type-checks`, async () => {
      const file = await tempFile(
        local(
          `import { HttpJob, nextRuns, parseSpec, Schedule } from "@x/schedule";\n` +
            "declare const schedule: Schedule;\n" +
            "export { HttpJob, nextRuns, parseSpec };\n",
        ) + code,
      );
      const result = await deno(["check", "-q"], file);
      assert.equal(result.code, 0, `${code}\n${result.output}`);
      await Deno.remove(file.replace(/\/[^/]*$/, ""), { recursive: true });
    });
  }
}
