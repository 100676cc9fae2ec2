import assert from "node:assert/strict";
import { type JobFlags, jobsFromFlags } from "./jobs_input.ts";
import { UsageError } from "./usage.ts";
import { InvalidJobError } from "../errors.ts";

Deno.test("jobsFromFlags() builds one HTTP job from the flags", async () => {
  assert.deepEqual(
    await jobsFromFlags({
      spec: "0 30 9 * * MON-FRI",
      url: "https://api.example.com/hook",
      method: "patch",
      header: ["x-token=a=b", "x-empty="],
      body: '{"a":[1]}',
      tz: "Europe/Paris",
    }),
    [{
      mode: "HTTP",
      spec: "0 30 9 * * MON-FRI",
      tz: "Europe/Paris",
      option: {
        url: "https://api.example.com/hook",
        method: "PATCH",
        headers: { "x-token": "a=b", "x-empty": "" },
        body: { a: [1] },
      },
    }],
  );
});

Deno.test("jobsFromFlags() rejects incomplete or malformed flags as usage errors", async () => {
  const url = "https://a.example";
  for (
    const [flags, message] of [
      [{ spec: "@hourly" }, /needs --spec and --url, or --file/],
      [{ url }, /needs --spec and --url, or --file/],
      [{ spec: "@hourly", url, header: ["=x"] }, /--header takes NAME=VALUE/],
      [{ spec: "@hourly", url, header: ["x"] }, /--header takes NAME=VALUE/],
      [{ spec: "@hourly", url, body: "{" }, /--body takes JSON/],
    ] as [JobFlags, RegExp][]
  ) {
    await assert.rejects(
      () => jobsFromFlags(flags),
      (err: Error) => err instanceof UsageError && message.test(err.message),
    );
  }
});

Deno.test("jobsFromFlags() rejects an invalid option as an invalid job", async () => {
  await assert.rejects(
    () =>
      jobsFromFlags({
        spec: "@hourly",
        url: "https://a.example",
        method: "fetch",
      }),
    InvalidJobError,
  );
});

Deno.test("jobsFromFlags() reads a job or a list of jobs from --file, HTTP by default", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/jobs.yml`,
      "- spec: '@hourly'\n  option: { url: 'https://a.example' }\n" +
        "- { mode: log, spec: '@daily', tz: UTC, option: null }\n",
    );
    assert.deepEqual(await jobsFromFlags({ file: `${dir}/jobs.yml` }), [
      { mode: "HTTP", spec: "@hourly", option: { url: "https://a.example" } },
      { mode: "log", spec: "@daily", tz: "UTC", option: null },
    ]);
    await Deno.writeTextFile(
      `${dir}/job.json`,
      '{"spec":"@hourly","option":{"url":"https://a.example"}}',
    );
    assert.deepEqual(await jobsFromFlags({ file: `${dir}/job.json` }), [
      { mode: "HTTP", spec: "@hourly", option: { url: "https://a.example" } },
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("jobsFromFlags() rejects a missing, unparsable or jobless --file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      () => jobsFromFlags({ file: `${dir}/missing.yml` }),
      (err: Error) =>
        err instanceof UsageError &&
        err.message.startsWith(`--file ${dir}/missing.yml: `),
    );
    await Deno.writeTextFile(`${dir}/bad.yml`, "a: [");
    await assert.rejects(
      () => jobsFromFlags({ file: `${dir}/bad.yml` }),
      UsageError,
    );
    await Deno.writeTextFile(`${dir}/numbers.yml`, "- 1\n- 2\n");
    await assert.rejects(
      () => jobsFromFlags({ file: `${dir}/numbers.yml` }),
      (err: Error) =>
        err instanceof InvalidJobError &&
        /expected a job or a list of jobs/.test(err.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("jobsFromFlags() reports a YAML syntax error of --file by line and column, never the source line", async () => {
  const path = await Deno.makeTempFile({ suffix: ".yml" });
  try {
    for (
      const value of [
        '"Bearer TOPSECRET',
        "|TOPSECRET",
        "!TOPSECRET",
        "&TOPSECRET",
      ]
    ) {
      await Deno.writeTextFile(
        path,
        '- spec: "@hourly"\n  option:\n    url: https://x.example\n' +
          `    headers: { authorization: ${value} }\n`,
      );
      await assert.rejects(
        () => jobsFromFlags({ file: path }),
        (err: Error) =>
          err instanceof UsageError &&
          err.message.startsWith(`--file ${path}: `) &&
          /at line \d+, column \d+$/.test(err.message) &&
          !err.message.includes("TOPSECRET"),
        value,
      );
    }
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("jobsFromFlags() does not echo a malformed --header or --secret-header", async () => {
  const url = "https://a.example";
  for (
    const flags of [
      { spec: "@hourly", url, header: ["Authorization: Bearer TOPSECRET"] },
      { spec: "@hourly", url, secretHeader: ["Bearer TOPSECRET"] },
      {
        spec: "@hourly",
        url,
        secretHeader: ["authorization=Bearer TOPSECRET"],
      },
    ] as JobFlags[]
  ) {
    await assert.rejects(
      () => jobsFromFlags(flags),
      (err: Error) => !err.message.includes("TOPSECRET"),
    );
  }
});
