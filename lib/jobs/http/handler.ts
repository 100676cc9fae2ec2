/**
 * The `HTTP` mode: calls the job's URL and says whether that worked, should be retried, or
 * failed for good.
 *
 * @module
 */

import type { HttpOption, Tick } from "../../types.ts";
import type {
  ModeHandler,
  RunContext,
  RunResult,
} from "../../worker/handler.ts";
import type { DestinationRules } from "./destination.ts";
import {
  guardedFetch,
  MAX_REDIRECTS,
  RefusedDestination,
} from "./guarded_fetch.ts";
import { httpTimeout, ownHeaderNames } from "./job.ts";
import { triggerOf } from "../../wire/mod.ts";
import { setSecretHeaders } from "./secrets.ts";

/** Options of {@link httpHandler}: the destination rules, and these. */
export interface HttpHandlerOptions extends DestinationRules {
  /** The request timeout when the job sets none, in ms. */
  timeout: number;
  /** The directory holding one file per secret, read after `SCHEDULE_SECRET_<NAME>`. */
  secretsDir?: string;
  /**
   * How many bytes of the response are kept.
   *
   * @default {1024}
   */
  responseBytes?: number;
}

/** The headers every call carries, so that receivers can be idempotent. */
export const RUN_HEADERS = {
  scheduledAt: "Schedule-Scheduled-At",
  messageId: "Schedule-Message-Id",
  attempt: "Schedule-Attempt",
  /** What made the tick: `schedule`, `manual` or `backfill`. */
  trigger: "Schedule-Trigger",
} as const;

/**
 * The handler of `HTTP` jobs: sends `option.body` as JSON with `option.method` (POST by
 * default), `option.headers` and the secrets of `option.secretHeaders` (a missing secret
 * fails the run for good), to a destination the worker's rules allow (checked again
 * on each redirect), aborting the call when the run is cancelled. A 2xx response is a success; a network error, a timeout,
 * a 5xx or a 429 is retried (honouring `Retry-After`); any other status fails for good.
 *
 * @example
 * ```ts
 * import { httpHandler } from "./handler.ts";
 * const handler = httpHandler({ timeout: 30_000, allowHosts: ["api.example.com"] });
 * ```
 */
export function httpHandler(options: HttpHandlerOptions): ModeHandler {
  const limit = options.responseBytes ?? 1024;
  return async (message, context) => {
    const option = message.option as HttpOption;
    const request = await buildRequest(message, context, options.secretsDir);
    if (typeof request === "string") {
      return { outcome: "failed", error: request };
    }
    const timeout = option.timeout === undefined
      ? options.timeout
      : httpTimeout(option.timeout);
    const response = await call(option.url, request, timeout, context, options);
    if (!(response instanceof Response)) return response;
    return await classify(response, limit);
  };
}

/** What a call sends: where, and the request but its signal. */
interface HttpRequest {
  url: URL;
  init: {
    method: string;
    headers: Headers;
    body?: string;
    private: readonly string[];
  };
}

/**
 * The request of a tick's `HTTP` job: its URL, method, headers (the run's, the job's and
 * its secrets) and JSON body; the reason it cannot be made when a secret is missing.
 */
async function buildRequest(
  message: Tick,
  context: RunContext,
  secretsDir: string | undefined,
): Promise<HttpRequest | string> {
  const option = message.option as HttpOption;
  const url = new URL(option.url);
  const method = option.method ?? "POST";
  const headers = new Headers(option.headers);
  headers.set(RUN_HEADERS.scheduledAt, message.scheduledAt.toISOString());
  headers.set(RUN_HEADERS.messageId, context.msgId);
  headers.set(RUN_HEADERS.attempt, String(context.attempt));
  headers.set(RUN_HEADERS.trigger, triggerOf(message));
  const missing = option.secretHeaders &&
    await setSecretHeaders(
      headers,
      option.secretHeaders,
      secretsDir,
    );
  if (missing) return missing;
  let body: string | undefined;
  if (option.body !== undefined && method !== "GET" && method !== "HEAD") {
    body = JSON.stringify(option.body);
    if (!headers.has("content-type")) {
      headers.set("content-type", "application/json");
    }
  }
  // The job's own headers, secrets or not, go to its URL's origin only.
  return {
    url,
    init: { method, headers, body, private: ownHeaderNames(option) },
  };
}

/**
 * Sends `request` within `timeout` ms, until the run is cancelled; the response, or the
 * result of a call that got none: failed for a refused destination, else retried, with
 * the error (its URLs redacted).
 */
async function call(
  source: string,
  { url, init }: HttpRequest,
  timeout: number,
  context: RunContext,
  rules: DestinationRules,
): Promise<Response | RunResult> {
  const timer = AbortSignal.timeout(timeout);
  try {
    return await guardedFetch(
      url,
      { ...init, signal: AbortSignal.any([timer, context.signal]) },
      rules,
    );
  } catch (err) {
    if (err instanceof RefusedDestination) {
      return { outcome: "failed", error: err.message };
    }
    const error = context.signal.aborted
      ? "cancelled"
      : timer.aborted
      ? `timed out after ${timeout} ms`
      : (err as Error).message.replaceAll(source, redactUrl(url))
        .replaceAll(url.href, redactUrl(url));
    return { outcome: "retry", error };
  }
}

/**
 * The result of a response: a 2xx succeeds; a 5xx or a 429 is retried (honouring
 * `Retry-After`); any other status fails, a 3xx for too many redirects or none to
 * follow. Keeps the first
 * `limit` bytes of the body.
 */
async function classify(response: Response, limit: number): Promise<RunResult> {
  const text = await readPrefix(response, limit);
  const status = response.status;
  if (response.ok) return { outcome: "success", status, response: text };
  if (status === 429 || status >= 500) {
    const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
    return {
      outcome: "retry",
      status,
      response: text,
      error: `HTTP ${status}`,
      retryAfter,
    };
  }
  // A 3xx comes back followed as far as allowed, or without a place to go.
  const error = status >= 300 && status < 400
    ? `HTTP ${status}: ${redirectFailure(response)}`
    : `HTTP ${status}`;
  return { outcome: "failed", status, response: text, error };
}

/** Why a 3xx came back unfollowed (its `Location` is never shown: it may hold secrets). */
function redirectFailure(response: Response): string {
  const location = response.headers.get("location");
  if (location === null) return "a redirect without a Location";
  return URL.parse(location, response.url) === null
    ? "a redirect whose Location is not a URL"
    : `more than ${MAX_REDIRECTS} redirects`;
}

/**
 * A URL fit for logs and the run history: no credentials, no query, no fragment.
 *
 * @example
 * ```ts
 * import { redactUrl } from "./handler.ts";
 * redactUrl(new URL("https://u:p@api.example.com/hook?token=x")); // "https://api.example.com/hook"
 * ```
 */
export function redactUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** `Retry-After` in ms: seconds, or an HTTP date. */
function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

const decoder = new TextDecoder();

/**
 * The first `limit` bytes of the body, as text. A body announced within the limit, and
 * not compressed, is read whole: a stream reader costs about 20 µs more a call. A
 * compressed one is read as a stream: `fetch` decompresses it, and its length is the
 * compressed one (211 bytes of brotli made 256 MiB).
 */
async function readPrefix(response: Response, limit: number): Promise<string> {
  const length = response.headers.get("content-length");
  const encoding = response.headers.get("content-encoding") ?? "identity";
  if (
    length !== null && Number(length) <= limit &&
    encoding.trim().toLowerCase() === "identity"
  ) {
    try {
      return decoder.decode(await response.bytes());
    } catch {
      return ""; // a body cut short: the status tells what happened
    }
  }
  return await readStreamPrefix(response, limit);
}

/** The first `limit` bytes of a body of unknown or larger length, as text. */
async function readStreamPrefix(
  response: Response,
  limit: number,
): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // A body cut short still tells what came before.
  } finally {
    reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return decoder.decode(bytes.subarray(0, limit));
}
