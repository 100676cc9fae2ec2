/**
 * Answering the queue for an attempt: log its outcome, then ack, nak or terminate.
 *
 * @module
 */

import type { JsMsg } from "@nats-io/jetstream";
import type { LogFields, Logger } from "../ops/log.ts";
import type { Tick } from "../types.ts";
import type { Outcome } from "./outcome.ts";
import { tickFields } from "./_util.ts";

/**
 * Logs the outcome and acks, naks or terminates. When the connection is gone the message
 * stays unanswered and is redelivered after the ack wait: at least once.
 */
export function answer(
  log: Logger,
  message: JsMsg,
  tick: Tick,
  attempt: number,
  decided: Outcome,
): void {
  const { answer, result } = decided;
  const fields = () => ({
    ...tickFields(tick),
    attempt,
    status: result.status,
    error: result.error,
  });
  logOutcome(log, decided, fields);
  try {
    if (answer.kind === "ack") message.ack();
    else if (answer.kind === "nak") message.nak(answer.delay);
    else message.term(answer.reason);
  } catch (err) {
    log.warn(
      "could not answer the queue; the tick will be redelivered",
      { ...fields(), error: (err as Error).message },
    );
  }
}

/**
 * Logs the outcome; `fields` builds the line's fields, only when a line is written (a
 * success is a debug line).
 */
function logOutcome(
  log: Logger,
  { outcome, answer }: Outcome,
  fields: () => LogFields,
): void {
  if (answer.kind === "ack") {
    if (log.debugEnabled !== false) log.debug("run succeeded", fields());
  } else if (outcome === "superseded") {
    log.info("tick superseded; not run", fields());
  } else if (outcome === "skipped") {
    log.info("tick skipped; not run", fields());
  } else if (outcome === "cancelled") {
    log.info("run cancelled for a newer tick", fields());
  } else if (answer.kind === "nak") {
    log.warn("run failed; will retry", { ...fields(), delay: answer.delay });
  } else log.warn("run failed", fields());
}
