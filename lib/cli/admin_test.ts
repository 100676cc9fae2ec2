import assert from "node:assert/strict";
import { type AdminCommand, type AdminOptions, runAdmin } from "./admin.ts";
import { UsageError } from "./usage.ts";

/** Runs a command that must not reach NATS; returns the lines it printed. */
async function offline(
  command: AdminCommand,
  args: string[],
  options: AdminOptions = {},
): Promise<string[]> {
  const lines: string[] = [];
  await runAdmin(
    command,
    args,
    options,
    () => Promise.reject(new Error(`${command} connected to NATS`)),
    () => "beta",
    (line) => lines.push(line),
  );
  return lines;
}

Deno.test("runAdmin() rejects a wrong number of arguments before connecting", async () => {
  for (
    const [command, args, message] of [
      ["get", [], /^get takes KEY$/],
      ["rm", ["a", "b"], /^rm takes KEY$/],
      ["ls", ["a"], /^ls takes no argument$/],
      ["next", [], /^next takes SPEC$/],
    ] as const
  ) {
    await assert.rejects(
      () => offline(command, [...args]),
      (err: Error) => err instanceof UsageError && message.test(err.message),
    );
  }
});

Deno.test("runAdmin() rejects an option the command does not take", async () => {
  await assert.rejects(
    () => offline("ls", [], { url: "x" }),
    (err: Error) =>
      err instanceof UsageError && err.message === "ls does not take --url",
  );
  await assert.rejects(
    () => offline("next", ["@hourly"], { file: "x" }),
    (err: Error) =>
      err instanceof UsageError && err.message === "next does not take --file",
  );
});

Deno.test("runAdmin() next prints fire times in the zone given, as a table or JSON", async () => {
  const lines = await offline("next", ["0 0 12 * * *"], {
    n: "2",
    tz: "Asia/Tokyo",
  });
  assert.equal(lines.length, 3);
  assert.equal(lines[0], "NEXT");
  assert.match(lines[1], /T03:00:00\.000Z$/);
  assert.equal(Date.parse(lines[2]) - Date.parse(lines[1]), 86_400_000);
  const [json] = await offline("next", ["@every 1m"], { json: true });
  const runs = JSON.parse(json).map(Date.parse);
  assert.equal(runs.length, 5);
  assert.equal(runs[4] - runs[3], 60_000);
});

Deno.test("runAdmin() next takes only a whole positive -n", async () => {
  for (const n of ["0", "-1", "1.5", "x"]) {
    await assert.rejects(
      () => offline("next", ["@hourly"], { n }),
      (err: Error) =>
        err instanceof UsageError && err.message === "-n takes a whole number",
      n,
    );
  }
});
