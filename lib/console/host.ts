/**
 * Which host names a console on a loopback address answers to: a web page can make its
 * own name resolve to 127.0.0.1 (DNS rebinding) and then read the console as if it were
 * its own site, unless the console refuses a `Host` that is not a loopback one.
 *
 * @module
 */

import ipaddr from "ipaddr.js";

/**
 * Whether `hostname` (a URL's: an IPv6 address in brackets) names this machine: a
 * loopback address, `localhost` or a name under `.localhost`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isLoopbackName } from "./host.ts";
 * assert.ok(isLoopbackName("127.0.0.1") && isLoopbackName("[::1]") && isLoopbackName("localhost"));
 * assert.ok(!isLoopbackName("rebind.attacker.example"));
 * ```
 */
export function isLoopbackName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  if (!ipaddr.isValid(name)) return false;
  const address = ipaddr.process(name);
  return address.range() === "loopback";
}
