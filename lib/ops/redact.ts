/**
 * Keeping credentials out of what is printed: user names, passwords and tokens of URLs.
 *
 * @module
 */

import { LineCounter, parse, YAMLError } from "yaml";

/**
 * `scheme://userinfo@`: the credentials of a URL, wherever it is in a text, up to the last
 * `@` before the host (a password may hold `@`).
 */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/gi;

/**
 * The text with the credentials of every URL in it replaced by `***`. A URL in a text ends
 * at a whitespace: to mask a whole value, such as a configured URL, use
 * {@link redactUrlCredentials}.
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
 * A URL, or a host written as one (`user:pass@host:4222`), with its user name and password
 * replaced by `***`, whatever they hold (`@`, whitespace). A URL with credentials is shown
 * as `URL` writes it (`https://***@a.example/`); one without is returned as it is.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redactUrlCredentials } from "./redact.ts";
 * assert.equal(
 *   redactUrlCredentials("https://user:p@ss word@a.example/x"),
 *   "https://***@a.example/x",
 * );
 * assert.equal(redactUrlCredentials("alice:p@ss@10.0.0.1:4222"), "***@10.0.0.1:4222");
 * assert.equal(redactUrlCredentials("https://a.example/x@y"), "https://a.example/x@y");
 * ```
 */
export function redactUrlCredentials(url: string): string {
  const parsed = URL.parse(url);
  // `user:pass@host:4222` parses as the scheme `user:`, without a host.
  if (parsed === null || parsed.host === "") return cutUserinfo(url);
  if (parsed.username === "" && parsed.password === "") return url;
  parsed.username = "***";
  parsed.password = "";
  return parsed.href;
}

/**
 * What is not a URL, with what is before the last `@` before the first `/` after the
 * scheme (if any) replaced by `***`.
 */
function cutUserinfo(text: string): string {
  const scheme = text.indexOf("://");
  const start = scheme === -1 ? 0 : scheme + 3;
  const slash = text.indexOf("/", start);
  const at = text.lastIndexOf("@", slash === -1 ? text.length : slash);
  return at < start ? text : `${text.slice(0, start)}***${text.slice(at)}`;
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
  return redactUrlCredentials(host);
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

/**
 * `text` parsed as YAML. A syntax error is thrown as `fail(reason)`, the reason saying what
 * is wrong and at which line and column, never quoting the source line as the YAML library
 * does (a secret may be on it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseYamlRedacted } from "./redact.ts";
 * assert.deepEqual(parseYamlRedacted("a: 1", (reason) => new Error(reason)), { a: 1 });
 * assert.throws(
 *   () => parseYamlRedacted('token: "s3cret', (reason) => new Error(reason)),
 *   { message: 'Missing closing "quote at line 1, column 15' },
 * );
 * ```
 */
export function parseYamlRedacted(
  text: string,
  fail: (reason: string) => Error,
): unknown {
  const lineCounter = new LineCounter();
  try {
    return parse(text, { prettyErrors: false, lineCounter });
  } catch (err) {
    if (err instanceof YAMLError) {
      const { line, col } = lineCounter.linePos(err.pos[0]);
      throw fail(`${err.message} at line ${line}, column ${col}`);
    }
    // The parser's other errors quote the source (an unresolved alias, `*secret`, names
    // it): only their kind is told.
    throw fail(
      err instanceof ReferenceError
        ? "an alias (*name) whose anchor is not set: quote a value that starts with *"
        : `not valid YAML (${(err as Error).name})`,
    );
  }
}
