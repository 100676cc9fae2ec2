/**
 * The namespace's events: published on core NATS subjects, so any client can follow them
 * (`nats sub 'schedule.<ns>.events.>'`), and an alerting bridge is a few lines. Events are
 * notifications, not a log: nothing stores them, and one published while nobody listens
 * is gone (the run history and the metrics are the record).
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/nats-core";
import type { ScheduleEvent } from "../types.ts";
import { decodeEvent, encodeEvent } from "../wire/event.ts";
import type { NamespaceNames } from "./names.ts";
import { onAbort } from "../_util.ts";
import { ScheduleError } from "../errors.ts";

/**
 * Publishes `event` on its subject. Never throws: an event that cannot be sent (the
 * connection is closed) is dropped, since what it reports is recorded elsewhere.
 *
 * @example
 * ```ts ignore
 * publishEvent(nc, names, { type: "failed", at: new Date(), key: "report", index: 0 });
 * ```
 */
export function publishEvent(
  nc: NatsConnection,
  names: NamespaceNames,
  event: ScheduleEvent,
): void {
  try {
    nc.publish(names.eventSubject(event.type, event.key), encodeEvent(event));
  } catch { /* the connection is closed: see above */ }
}

/**
 * The events of a namespace as they happen, until `signal` is aborted. Messages on the
 * event subjects that are not events are skipped.
 *
 * @throws {ScheduleError} When the connection closes first (no event could come any more).
 *
 * @example
 * ```ts ignore
 * for await (const event of followEvents(nc, names)) console.log(event.type, event.key);
 * ```
 */
export async function* followEvents(
  nc: NatsConnection,
  names: NamespaceNames,
  signal?: AbortSignal,
): AsyncIterable<ScheduleEvent> {
  if (signal?.aborted) return;
  const subscription = nc.subscribe(names.eventSubjects);
  const stopListening = onAbort(signal, () => subscription.unsubscribe());
  try {
    for await (const message of subscription) {
      try {
        yield decodeEvent(message.data);
      } catch { /* not an event */ }
    }
  } finally {
    stopListening();
    subscription.unsubscribe();
  }
  if (!signal?.aborted) {
    throw new ScheduleError("the connection to NATS closed: no more events");
  }
}
