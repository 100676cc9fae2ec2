import assert from "node:assert/strict";
import { nextPath } from "./respond.ts";

const origin = "http://127.0.0.1:8090";

Deno.test("nextPath() keeps a path of the console, with its query", () => {
  assert.equal(nextPath("/schedules/a?page=2", origin), "/schedules/a?page=2");
  assert.equal(nextPath("/a/../b", origin), "/b");
  assert.equal(nextPath(undefined, origin), "/");
});

Deno.test("nextPath() never leads to another host, however the path is spelt", () => {
  for (
    const next of [
      "https://evil.example/",
      "//evil.example/",
      "/\\evil.example",
      "/.//evil.example/",
      "/%2e//evil.example/",
      "/x/..//evil.example/",
      "/./\\evil.example",
      `${origin}//evil.example/`,
    ]
  ) assert.equal(nextPath(next, origin), "/", next);
});
