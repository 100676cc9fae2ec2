/**
 * Where an HTTP job may send a request: the worker's allow list of host names, and the
 * networks no job may reach unless the worker allows them (cloud metadata services and
 * link-local addresses). Both are checked on the resolved addresses, not only on the
 * name, and again on every redirect hop.
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import ipaddr from "ipaddr.js";

/**
 * Networks a job may not reach unless the worker's `allowNetworks` names them: IPv4 and
 * IPv6 link-local (where cloud metadata services answer, such as 169.254.169.254), the
 * AWS IPv6 metadata address and Alibaba Cloud's metadata address.
 */
export const BLOCKED_NETWORKS: readonly string[] = [
  "169.254.0.0/16",
  "fe80::/10",
  "fd00:ec2::254/128",
  "100.100.100.200/32",
];

/** Host names of cloud metadata services, refused unless listed in `allowHosts`. */
export const BLOCKED_HOSTS: readonly string[] = [
  "metadata.google.internal",
  "metadata.goog",
  "metadata",
];

/** The worker's rules for destinations. */
export interface DestinationRules {
  /** Host names jobs may call (`*.example.com` for subdomains); any when unset. */
  allowHosts?: readonly string[];
  /** Networks (CIDR) allowed even though {@link BLOCKED_NETWORKS} holds them. */
  allowNetworks?: readonly string[];
  /** The networks refused (default {@link BLOCKED_NETWORKS}). */
  blockedNetworks?: readonly string[];
}

/** Resolves a host name to its addresses (the system resolver, as `fetch` uses it). */
export type Resolve = (host: string) => Promise<string[]>;

const systemResolve: Resolve = async (host) =>
  (await lookup(host, { all: true })).map((entry) => entry.address);

/**
 * Why `url` may not be called under `rules`, or `null` when it may. Only `http:` and
 * `https:` may be.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { refusal } from "./destination.ts";
 * assert.equal(
 *   await refusal(new URL("http://169.254.169.254/latest/meta-data"), {}),
 *   "169.254.169.254 is in a blocked network (169.254.0.0/16)",
 * );
 * assert.equal(await refusal(new URL("http://127.0.0.1/"), {}), null);
 * ```
 */
export async function refusal(
  url: URL,
  rules: DestinationRules,
  resolve: Resolve = systemResolve,
): Promise<string | null> {
  // `fetch` reads `file:` (the worker's files, its secrets among them) and `data:` URLs.
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return `scheme ${url.protocol} is not http: or https:`;
  }
  // A name with its root's dot (`metadata.google.internal.`) is the same host.
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase()
    .replace(/\.$/, "");
  if (rules.allowHosts && !hostAllowed(host, rules.allowHosts)) {
    return `host ${host} is not in the worker's allow list`;
  }
  const listed = rules.allowHosts?.some((entry) =>
    entry.toLowerCase() === host
  );
  if (BLOCKED_HOSTS.includes(host) && !listed) {
    return `host ${host} is a cloud metadata service`;
  }
  let addresses: string[];
  try {
    addresses = ipaddr.isValid(host) ? [host] : await resolve(host);
  } catch {
    return null; // fetch reports the failed lookup, and the run is retried
  }
  for (const address of addresses) {
    const blocked = blockedNetwork(address, rules);
    if (blocked) return `${address} is in a blocked network (${blocked})`;
  }
  return null;
}

/**
 * True when `host` is listed, or is a subdomain of a `*.domain` entry.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hostAllowed } from "./destination.ts";
 * assert.equal(hostAllowed("api.example.com", ["*.example.com"]), true);
 * assert.equal(hostAllowed("example.org", ["*.example.com"]), false);
 * ```
 */
export function hostAllowed(
  host: string,
  allowHosts: readonly string[],
): boolean {
  const name = host.toLowerCase();
  return allowHosts.some((entry) => {
    const allowed = entry.toLowerCase();
    return allowed.startsWith("*.")
      ? name.endsWith(allowed.slice(1))
      : name === allowed;
  });
}

/** Networks parsed so far, by CIDR: the rules name a few, checked on every call. */
const parsedNetworks = new Map<string, ReturnType<typeof ipaddr.parseCIDR>>();

/** `cidr` parsed, once. */
function network(cidr: string): ReturnType<typeof ipaddr.parseCIDR> {
  let parsed = parsedNetworks.get(cidr);
  if (parsed === undefined) {
    parsed = ipaddr.parseCIDR(cidr);
    parsedNetworks.set(cidr, parsed);
  }
  return parsed;
}

/** The blocked network (as written) holding `address`, unless an allowed one holds it. */
function blockedNetwork(
  address: string,
  rules: DestinationRules,
): string | null {
  const ip = ipaddr.process(address);
  const inside = (cidr: string) => {
    const [range, bits] = network(cidr);
    return range.kind() === ip.kind() && ip.match(range, bits);
  };
  if (rules.allowNetworks?.some(inside)) return null;
  return (rules.blockedNetworks ?? BLOCKED_NETWORKS).find(inside) ?? null;
}
