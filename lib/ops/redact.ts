/**
 * Keeping credentials out of what is printed: user names, passwords and tokens of URLs.
 *
 * @module
 */

/** `scheme://userinfo@`: the credentials of a URL, wherever it is in a text. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi;
/** `userinfo@` of a host written without a scheme (`user:pass@host:4222`). */
const HOST_CREDENTIALS = /^[^\s/@]+@/;

/**
 * The text with the credentials of every URL in it replaced by `***`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redactCredentials } from "./redact.ts";
 * assert.equal(
 *   redactCredentials("cannot reach nats://alice:pw@10.0.0.1:4222"),
 *   "cannot reach nats://***@10.0.0.1:4222",
 * );
 * assert.equal(redactCredentials("https://t0ken@example.com/a"), "https://***@example.com/a");
 * ```
 */
export function redactCredentials(text: string): string {
  return text.replace(URL_CREDENTIALS, "$1***@");
}

/**
 * A NATS host as configured (a URL or `host:port`), without its credentials.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redactHost } from "./redact.ts";
 * assert.equal(redactHost("tls://token@nats.example.com"), "tls://***@nats.example.com");
 * assert.equal(redactHost("alice:pw@10.0.0.1:4222"), "***@10.0.0.1:4222");
 * assert.equal(redactHost("10.0.0.1:4222"), "10.0.0.1:4222");
 * ```
 */
export function redactHost(host: string): string {
  return redactCredentials(host).replace(HOST_CREDENTIALS, "***@");
}

/**
 * A message (such as a connection error) with the credentials of `hosts`, and of any URL,
 * replaced by `***`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redactMessage } from "./redact.ts";
 * assert.equal(
 *   redactMessage("bad host alice:pw@h:1", ["alice:pw@h:1"]),
 *   "bad host ***@h:1",
 * );
 * ```
 */
export function redactMessage(message: string, hosts: string[]): string {
  let redacted = message;
  for (const host of hosts) {
    redacted = redacted.replaceAll(host, redactHost(host));
  }
  return redactCredentials(redacted);
}
