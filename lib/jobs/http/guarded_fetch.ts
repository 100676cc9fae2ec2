/**
 * `fetch` that follows redirects itself, checking every hop against the worker's
 * destination rules before connecting to it.
 *
 * @module
 */

import { type DestinationRules, refusal, type Resolve } from "./destination.ts";
import { onAbort } from "../../_util.ts";

/** The most redirects followed for one call. */
export const MAX_REDIRECTS = 5;

const SENSITIVE_HEADERS = ["authorization", "cookie", "proxy-authorization"];

/** A destination the worker's rules refuse; the call was not made. */
export class RefusedDestination extends Error {}

/**
 * Calls `url` as `fetch` would, following at most {@link MAX_REDIRECTS} redirects, each
 * checked with {@link refusal} first. A 303, or a 301/302 answering a POST, turns the
 * next request into a GET without body (as browsers do); credentials headers, and those
 * named in `init.private` (the job's own), are not sent to another origin. A redirect
 * whose `Location` is not a URL is not followed: its response is returned.
 *
 * @throws {RefusedDestination} When the URL or a redirect target is refused.
 *
 * @example
 * ```ts ignore
 * const response = await guardedFetch(new URL("https://api.example.com/hook"), {
 *   method: "POST", headers: new Headers(), body: "{}",
 * }, { allowHosts: ["api.example.com"] });
 * ```
 */
export async function guardedFetch(
  url: URL,
  init: {
    method: string;
    headers: Headers;
    body?: string;
    signal?: AbortSignal;
    /** Headers not sent to another origin than `url`'s, on a redirect. */
    private?: readonly string[];
  },
  rules: DestinationRules,
  resolve?: Resolve,
): Promise<Response> {
  let request: Hop = {
    url,
    method: init.method,
    body: init.body,
    headers: new Headers(init.headers),
  };
  for (let hop = 0;; hop++) {
    const refused = await untilAborted(
      refusal(request.url, rules, resolve),
      init.signal,
    );
    if (refused) throw new RefusedDestination(refused);
    const response = await send(request, init.signal);
    const location = response.headers.get("location");
    const next = location === null ? null : URL.parse(location, request.url);
    if (
      !isRedirect(response.status) || next === null || hop === MAX_REDIRECTS
    ) {
      return response;
    }
    await response.body?.cancel();
    request = redirect(request, response.status, next, init.private ?? []);
  }
}

/**
 * `promise`, or a rejection with `signal`'s reason once it is aborted: the check of a
 * destination resolves its name, and a name server that does not answer must not hold
 * the call past its timeout, its cancellation or the worker's stop.
 */
function untilAborted<T>(
  promise: Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const forget = onAbort(signal, () => reject(signal.reason));
    promise.then(resolve, reject).finally(forget);
  });
}

/** Sends one request, leaving redirects to the caller. */
function send(request: Hop, signal?: AbortSignal): Promise<Response> {
  return fetch(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    signal,
    redirect: "manual",
  });
}

/** One request of a call: the first, or one a redirect asked for. */
interface Hop {
  url: URL;
  method: string;
  body?: string;
  headers: Headers;
}

/** The request a redirect asks for, as browsers make it; `own` stays at its origin. */
function redirect(
  request: Hop,
  status: number,
  next: URL,
  own: readonly string[],
): Hop {
  let { method, body } = request;
  const headers = new Headers(request.headers);
  if (
    status === 303 || (method === "POST" && (status === 301 || status === 302))
  ) {
    method = method === "HEAD" ? "HEAD" : "GET";
    body = undefined;
    headers.delete("content-type");
  }
  if (next.origin !== request.url.origin) {
    for (const name of [...SENSITIVE_HEADERS, ...own]) headers.delete(name);
  }
  return { url: next, method, body, headers };
}

function isRedirect(status: number): boolean {
  return [301, 302, 303, 307, 308].includes(status);
}
