import assert from "node:assert/strict";
import { InvalidJobError } from "../../errors.ts";
import type { Job } from "../../types.ts";
import { formValues, jobsFromForm } from "./form.ts";

const stored: Job[] = [{
  mode: "HTTP",
  spec: "@hourly",
  option: { url: "https://bot:pa%40ss@hooks.example/a?x=1" },
}];

function saved(url: string): string {
  const [job] = jobsFromForm({ "spec.0": "@hourly", "url.0": url }, stored);
  return (job.option as { url: string }).url;
}

Deno.test("the edit form shows a URL's credentials as ***", () => {
  assert.equal(formValues(stored)["url.0"], "https://***@hooks.example/a?x=1");
});

Deno.test("a saved form keeps the stored credentials where the URL still shows ***", () => {
  assert.equal(
    saved("https://***@hooks.example/a?x=1"),
    "https://bot:pa%40ss@hooks.example/a?x=1",
    "unchanged: as stored",
  );
  assert.equal(
    saved("https://***@hooks.example/b"),
    "https://bot:pa%40ss@hooks.example/b",
    "another path of the same origin",
  );
  assert.equal(
    saved("https://carol:new@hooks.example/a"),
    "https://carol:new@hooks.example/a",
    "typed in full: as typed",
  );
  assert.equal(saved("https://hooks.example/a"), "https://hooks.example/a");
});

Deno.test("a saved form refuses to send a job's unseen headers to another origin", () => {
  const withHeaders = (option: Record<string, unknown>): Job[] => [{
    mode: "HTTP",
    spec: "@hourly",
    option: { url: "https://api.example/hook", ...option },
  }];
  const save = (url: string, jobs: Job[]) =>
    jobsFromForm({ "spec.0": "@hourly", "url.0": url }, jobs);
  for (
    const jobs of [
      withHeaders({ headers: { authorization: "Bearer s3cret" } }),
      withHeaders({ secretHeaders: { authorization: "api-token" } }),
    ]
  ) {
    assert.throws(
      () => save("https://evil.example/", jobs),
      (err: Error) =>
        err instanceof InvalidJobError &&
        /headers \(authorization\) are sent to https:\/\/api\.example only/
          .test(err.message) &&
        !err.message.includes("s3cret"),
    );
    const [kept] = save("https://api.example/other", jobs);
    assert.equal(
      (kept.option as { url: string }).url,
      "https://api.example/other",
    );
  }
  const [plain] = save("https://evil.example/", withHeaders({}));
  assert.equal((plain.option as { url: string }).url, "https://evil.example/");
});

Deno.test("a saved form refuses *** for credentials of another origin, or none", () => {
  assert.throws(
    () => saved("https://***@elsewhere.example/a"),
    (err: Error) =>
      err instanceof InvalidJobError && /hooks\.example only/.test(err.message),
  );
  assert.throws(
    () => saved("http://***@hooks.example/a"),
    InvalidJobError,
    "another scheme is another origin",
  );
  assert.throws(
    () =>
      jobsFromForm({ "spec.0": "@hourly", "url.0": "https://***@a.example" }, [
        { mode: "HTTP", spec: "@hourly", option: { url: "https://a.example" } },
      ]),
    /has none/,
  );
});

Deno.test("a form saved as shown writes the jobs back as stored", () => {
  const url = "https://a.example/x";
  const jobs: Job[] = [
    { mode: "HTTP", spec: "@hourly", option: { url } },
    {
      mode: "HTTP",
      spec: "@hourly",
      policy: { overlap: "allow" },
      option: { url, method: "POST" },
    },
    { mode: "HTTP", spec: "@hourly", policy: {}, option: { url } },
    { mode: "log", spec: "@daily", policy: { overlap: "allow" }, option: {} },
    {
      mode: "HTTP",
      spec: "0 30 9 * * *",
      tz: "Europe/Paris",
      policy: { overlap: "skip", maxRuns: 3 },
      option: { url, method: "PUT", headers: { a: "b" }, body: { n: 1 } },
    },
  ];
  for (const job of jobs) {
    assert.deepEqual(jobsFromForm(formValues([job]), [job]), [job]);
  }
  const [changed] = jobsFromForm(
    { ...formValues([jobs[0]]), "method.0": "GET", "overlap.0": "skip" },
    [jobs[0]],
  );
  assert.deepEqual(changed.policy, { overlap: "skip" });
  assert.equal((changed.option as { method?: string }).method, "GET");
});
