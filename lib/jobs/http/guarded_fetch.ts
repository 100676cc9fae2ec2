/**
 * `fetch` that follows redirects itself, checking every hop against the worker's
 * destination rules before connecting to it.
 *
 * @module
 */

import { type DestinationRules, refusal, type Resolve } from "./destination.ts";

/** The most redirects followed for one call. */
export const MAX_REDIRECTS = 5;

const SENSITIVE_HEADERS = ["authorization", "cookie", "proxy-authorization"];

/** A destination the worker's rules refuse; the call was not made. */
export class RefusedDestination extends Error {}

/**
 * Calls `url` as `fetch` would, following at most {@link MAX_REDIRECTS} redirects, each
 * checked with {@link refusal} first. A 303, or a 301/302 answering a POST, turns the
 * next request into a GET without body (as browsers do); credentials headers are not
 * sent to another origin.
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
    const refused = await refusal(request.url, rules, resolve);
    if (refused) throw new RefusedDestination(refused);
    const response = await send(request, init.signal);
    const location = response.headers.get("location");
    if (
      !isRedirect(response.status) || location === null ||
      hop === MAX_REDIRECTS
    ) {
      return response;
    }
    await response.body?.cancel();
    request = redirect(
      request,
      response.status,
      new URL(location, request.url),
    );
  }
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

/** The request a redirect asks for, as browsers make it. */
function redirect(request: Hop, status: number, next: URL): Hop {
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
    for (const name of SENSITIVE_HEADERS) headers.delete(name);
  }
  return { url: next, method, body, headers };
}

function isRedirect(status: number): boolean {
  return [301, 302, 303, 307, 308].includes(status);
}
