import assert from "node:assert/strict";
import { isLoopbackName } from "./host.ts";

Deno.test("loopback names: loopback addresses, localhost and its subdomains", () => {
  for (
    const name of [
      "127.0.0.1",
      "127.1.2.3",
      "[::1]",
      "::1",
      "[::ffff:127.0.0.1]",
      "localhost",
      "LocalHost",
      "console.localhost",
    ]
  ) assert.ok(isLoopbackName(name), name);
  for (
    const name of [
      "0.0.0.0",
      "10.0.0.1",
      "[::]",
      "localhost.attacker.example",
      "rebind.attacker.example",
      "",
    ]
  ) assert.ok(!isLoopbackName(name), name);
});
