/**
 * Keeping credentials out of what is printed: user names, passwords and tokens of URLs.
 *
 * @module
 */

import {
  type Document,
  type ErrorCode,
  isAlias,
  LineCounter,
  parseDocument,
  visit,
  type YAMLError,
} from "yaml";

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
 * Where the credentials of a NATS host as configured are: after its scheme, if any, up to
 * its last `@` (a NATS URL has no path, so an `@` anywhere ends them: a password may hold
 * `/`, `?` or `#`, which a URL parser takes for the start of a path).
 */
function hostUserinfo(host: string): { start: number; end: number } | null {
  const scheme = host.indexOf("://");
  const start = scheme === -1 ? 0 : scheme + 3;
  const end = host.lastIndexOf("@");
  return end < start ? null : { start, end };
}

/**
 * A NATS host as configured (a URL or `host:port`), without its credentials, whatever
 * they hold.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redactHost } from "./redact.ts";
 * assert.equal(redactHost("tls://token@nats.example.com"), "tls://***@nats.example.com");
 * assert.equal(redactHost("alice:pw@10.0.0.1:4222"), "***@10.0.0.1:4222");
 * assert.equal(redactHost("nats://alice:12/x@10.0.0.1:4222"), "nats://***@10.0.0.1:4222");
 * assert.equal(redactHost("10.0.0.1:4222"), "10.0.0.1:4222");
 * ```
 */
export function redactHost(host: string): string {
  const userinfo = hostUserinfo(host);
  return userinfo === null
    ? host
    : `${host.slice(0, userinfo.start)}***${host.slice(userinfo.end)}`;
}

/**
 * A message (such as a connection error) with the credentials of `hosts` replaced by
 * `***` wherever they are in it, however the message writes the host around them (the
 * NATS client quotes a host it cannot parse with its scheme changed), and those of any
 * URL.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redactMessage } from "./redact.ts";
 * assert.equal(
 *   redactMessage("bad host alice:pw@h:1", ["alice:pw@h:1"]),
 *   "bad host ***@h:1",
 * );
 * assert.equal(
 *   redactMessage("Invalid URL: 'http://alice:12/x@h:1'", ["nats://alice:12/x@h:1"]),
 *   "Invalid URL: 'http://***@h:1'",
 * );
 * ```
 */
export function redactMessage(message: string, hosts: string[]): string {
  let redacted = message;
  for (const host of hosts) {
    const userinfo = hostUserinfo(host);
    if (userinfo === null || userinfo.end === userinfo.start) continue;
    redacted = redacted.replaceAll(
      host.slice(userinfo.start, userinfo.end),
      "***",
    );
  }
  return redactCredentials(redacted);
}

/**
 * `text` parsed as YAML. What is not valid, and what YAML would take otherwise than as
 * written (a tag, `!name`; an anchor no alias uses, `&name`; an unknown directive), is
 * thrown as `fail(reason)`, the reason saying what is wrong in general terms and at which
 * line and column, never quoting the source as the YAML library does (a secret may be
 * there). The library prints nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseYamlRedacted } from "./redact.ts";
 * assert.deepEqual(parseYamlRedacted("a: 1", (reason) => new Error(reason)), { a: 1 });
 * assert.throws(
 *   () => parseYamlRedacted("token: |s3cret", (reason) => new Error(reason)),
 *   { message: /^unexpected text \(quote a value .*\) at line 1, column 9$/ },
 * );
 * ```
 */
export function parseYamlRedacted(
  text: string,
  fail: (reason: string) => Error,
): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    prettyErrors: false,
    lineCounter,
    logLevel: "error", // warnings are told below, not printed
  });
  const problem = firstProblem(doc);
  if (problem) {
    const { line, col } = lineCounter.linePos(problem.offset);
    throw fail(`${problem.reason} at line ${line}, column ${col}`);
  }
  try {
    return doc.toJS();
  } catch (err) {
    // An unresolved alias is named in the message (`*secret`): only its kind is told.
    throw fail(
      err instanceof ReferenceError
        ? `an alias (*name) whose anchor is not set: ${QUOTE}`
        : `not valid YAML (${(err as Error).name})`,
    );
  }
}

/** What is wrong in a YAML text, told without quoting it, and where. */
interface Problem {
  reason: string;
  offset: number;
}

/** How to write a value that YAML would read as something else. */
const QUOTE = "quote a value that starts with one of | > ! & * % @ ` ' \"";

/**
 * The reason of each error or warning of the YAML library, in general terms: its own
 * messages quote the source (`Block scalar header includes extra characters: |secret`).
 */
const REASONS: Record<ErrorCode, string> = {
  ALIAS_PROPS: "an alias (*name) with an anchor or a tag",
  BAD_ALIAS: "an alias (*name) that is not valid",
  BAD_COLLECTION_TYPE: `a tag (!name) on a value it does not fit (${QUOTE})`,
  BAD_DIRECTIVE: `a directive (%) that is not valid (${QUOTE})`,
  BAD_DQ_ESCAPE: "an escape (\\) that is not valid in a double-quoted value",
  BAD_INDENT: "a bad indentation",
  BAD_PROP_ORDER: `an anchor (&) or a tag (!) out of place (${QUOTE})`,
  BAD_SCALAR_START: `a value starting with a reserved character (${QUOTE})`,
  BLOCK_AS_IMPLICIT_KEY: "a block value as a key",
  BLOCK_IN_FLOW: "a block value inside [ ] or { }",
  DUPLICATE_KEY: "a key given twice",
  IMPOSSIBLE: "not valid YAML",
  KEY_OVER_1024_CHARS: "a key longer than 1024 characters",
  MISSING_CHAR:
    "a missing character (a closing quote or bracket, a comma, a colon or a space)",
  MULTILINE_IMPLICIT_KEY: "a key over several lines, or a line without a colon",
  MULTIPLE_ANCHORS: "a value with two anchors (&)",
  MULTIPLE_DOCS: "more than one document (---)",
  MULTIPLE_TAGS: "a value with two tags (!)",
  NON_STRING_KEY: "a key that is not a string",
  RESOURCE_EXHAUSTION: "too many aliases (*name)",
  TAB_AS_INDENT: "a tab as indentation",
  TAG_RESOLVE_FAILED: `a tag (!name) (${QUOTE})`,
  UNEXPECTED_TOKEN: `unexpected text (${QUOTE})`,
};

/**
 * The first error of `doc`, else its first tag or unused anchor, else its first warning
 * (such as an unknown directive).
 */
function firstProblem(doc: Document): Problem | undefined {
  const [error] = doc.errors;
  const [warning] = doc.warnings;
  return (error && toldOf(error)) ?? firstSilentChange(doc) ??
    (warning && toldOf(warning));
}

/** An error or warning of the YAML library, in general terms. */
function toldOf(error: YAMLError): Problem {
  return {
    reason: REASONS[error.code] ?? "not valid YAML",
    offset: error.pos[0],
  };
}

/**
 * The first tag (`!name`) or anchor no alias uses (`&name`) of `doc`: YAML takes an
 * unquoted value starting with `!` or `&` as one, and would change it without a word
 * (`!secret` is read as an empty value, `&secret` as none).
 */
function firstSilentChange(doc: Document): Problem | undefined {
  const used = new Set<string>();
  visit(doc, { Alias: (_, alias) => void used.add(alias.source) });
  let found: Problem | undefined;
  visit(doc, {
    Node(_, node) {
      const reason = node.tag !== undefined
        ? REASONS.TAG_RESOLVE_FAILED
        : !isAlias(node) && node.anchor !== undefined && !used.has(node.anchor)
        ? `an anchor (&name) that no alias uses (${QUOTE})`
        : undefined;
      if (reason === undefined) return;
      found = { reason, offset: node.range?.[0] ?? 0 };
      return visit.BREAK;
    },
  });
  return found;
}
