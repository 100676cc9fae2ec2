/**
 * Live updates: one hub fed by the definitions' index, the run history (runs) and
 * the namespace's events, and a server-sent event stream per page that listens to it.
 *
 * @module
 */

import type { Schedule } from "../../mod.ts";
import type { DefinitionIndex } from "./index.ts";
import type { RunFollower } from "./runs.ts";
import { onAbort } from "../_util.ts";

/** What changed: a definition, a run, or an event (of `key`, when it has one). */
export interface Update {
  /** The source. */
  kind: "definition" | "run" | "event";
  /** The key concerned, if any. */
  key?: string;
  /** The event type, for events. */
  type?: string;
}

/**
 * Gathers the updates of a namespace for every open page.
 *
 * @example
 * ```ts ignore
 * const hub = LiveHub.start(client, index, runs);
 * const stop = hub.subscribe((update) => console.log(update));
 * ```
 */
export class LiveHub {
  readonly #listeners = new Set<(update: Update) => void>();
  readonly #stops: (() => unknown)[] = [];

  private constructor() {}

  /** Listens to `index`, `runs` and the events `client` follows. */
  static start(
    client: Schedule,
    index: DefinitionIndex,
    runs: RunFollower,
  ): LiveHub {
    const hub = new LiveHub();
    hub.#stops.push(
      index.subscribe((key) => hub.#emit({ kind: "definition", key })),
      runs.subscribe((run) => hub.#emit({ kind: "run", key: run.key })),
    );
    const events = new AbortController();
    hub.#stops.push(() => events.abort());
    (async () => {
      for await (const event of client.events({ signal: events.signal })) {
        hub.#emit({ kind: "event", key: event.key, type: event.type });
      }
    })().catch(() => {/* the connection closed: no more events */});
    return hub;
  }

  /** Calls `listener` with each update; returns the call that stops it. */
  subscribe(listener: (update: Update) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops listening. */
  stop(): void {
    for (const stop of this.#stops) stop();
  }

  #emit(update: Update): void {
    for (const listener of this.#listeners) listener(update);
  }
}

/** How often an idle stream sends a comment, so proxies keep it open. */
const HEARTBEAT = 15_000;

/**
 * How many messages a stream holds for a page that does not read them (a suspended tab,
 * a stuck proxy); one more ends the stream, and the page reconnects when it reads again.
 */
export const LIVE_QUEUE = 64;

/**
 * A `text/event-stream` response of the updates of `key` (of every key when unset),
 * until the page goes away, holds {@link LIVE_QUEUE} messages unread, or `signal` (the
 * console stops) aborts. Messages it holds unread when it ends are dropped: they would
 * keep the response, and the console's shutdown, waiting on the page.
 *
 * @example
 * ```ts ignore
 * return liveResponse(hub, "report", closing.signal);
 * ```
 */
export function liveResponse(
  hub: LiveHub,
  key: string | undefined,
  signal: AbortSignal,
): Response {
  const encoder = new TextEncoder();
  let stop = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode("retry: 2000\n\n"));
      // A page reconnecting while the console stops gets a stream that ends at once:
      // one left open would hold the server's shutdown for as long as the page stays.
      if (signal.aborted) return controller.close();
      const send = (text: string) => {
        if (controller.desiredSize! <= 0) return stop();
        try {
          controller.enqueue(encoder.encode(text));
        } catch { /* closed */ }
      };
      const unsubscribe = hub.subscribe((update) => {
        if (key === undefined || update.key === key) {
          send(`event: update\ndata: ${JSON.stringify(update)}\n\n`);
        }
      });
      const heartbeat = setInterval(() => send(": idle\n\n"), HEARTBEAT);
      const stopListening = onAbort(signal, () => stop());
      stop = () => {
        stopListening();
        unsubscribe();
        clearInterval(heartbeat);
        try {
          if (controller.desiredSize === LIVE_QUEUE) controller.close();
          else controller.error(new Error("the live stream ended unread"));
        } catch { /* already closed */ }
      };
    },
    cancel: () => stop(),
  }, new CountQueuingStrategy({ highWaterMark: LIVE_QUEUE }));
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream",
      "cache-control": "no-store",
    },
  });
}
