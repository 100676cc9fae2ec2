import assert from "node:assert/strict";
import { maskHttpOption } from "./job.ts";

Deno.test("maskHttpOption masks a URL password holding @ or whitespace whole", () => {
  for (
    const url of [
      "https://user:pa ss@api.example.com/x",
      "https://user:p@ss@api.example.com/x",
    ]
  ) {
    assert.deepEqual(
      maskHttpOption({ url, headers: { authorization: "Bearer TOPSECRET" } }),
      {
        url: "https://***@api.example.com/x",
        headers: { authorization: "***" },
      },
    );
  }
});
