/**
 * Executing one queue message: decode the tick, record an attempt that never answered,
 * drop a superseded tick (or take the replacing definition's), end one out of attempts,
 * ask the governor to admit it, run it, decide its outcome; then, outside the
 * concurrency slot, end it.
 *
 * @module
 */

import type { JsMsg } from "@nats-io/jetstream";
import { decodeTick } from "../wire/mod.ts";
import { ScheduleError } from "../errors.ts";
import type { Tick } from "../types.ts";
import { answer } from "./answer.ts";
import type { Ending } from "./consume.ts";
import { end, publishTickEvent, record } from "./ending.ts";
import type { Lease } from "./governor.ts";
import { lostBefore } from "./history.ts";
import {
  cancelled,
  decideOutcome,
  exhausted,
  jobRetryPolicy,
  notRun,
} from "./outcome.ts";
import { runHandler } from "./run_handler.ts";
import { type Standing, standing } from "./superseded.ts";
import {
  now,
  storedAs,
  thrownText,
  tickFields,
  type WorkerContext,
} from "./_util.ts";

/**
 * Runs one queue message: decodes it and runs it; resolves with what is left, recording it
 * and answering the queue (nothing for a message already answered). A message this worker
 * is executing already (delivered again: it waited past the ack wait) is left to that
 * execution, whose answer answers it. It never rejects: an error no step expects is logged
 * and counted (`errors`). In the execution, it leaves the message unanswered, so the
 * queue delivers it again after its ack wait; in its ending (see {@link end}), the lock
 * is released and the queue answered all the same. Either way a lock the tick holds
 * stops being kept alive.
 */
export async function execute(
  context: WorkerContext,
  message: JsMsg,
): Promise<Ending | void> {
  const stored = storedAs(message);
  if (context.executing.has(stored)) {
    context.log.info(
      "tick delivered again while this worker runs it: left to that run",
      { subject: message.subject, seq: message.seq },
    );
    return;
  }
  context.executing.add(stored);
  const done = () => context.executing.delete(stored);
  const failed = (what: string) => (err: unknown) => {
    context.metrics.errors++;
    context.log.error(what, {
      subject: message.subject,
      error: thrownText(err),
    });
  };
  try {
    const ending = await executeTick(context, message);
    if (ending) {
      return () =>
        ending().catch(failed("execution's ending failed")).finally(done);
    }
  } catch (err) {
    failed("execution failed; the tick is delivered again after the ack wait")(
      err,
    );
  }
  done();
}

async function executeTick(
  context: WorkerContext,
  message: JsMsg,
): Promise<Ending | void> {
  const stored = decode(context, message);
  if (stored === null) return;
  const attempt = message.info.deliveryCount;
  await recordLost(context, stored, attempt);
  const current = await standingOf(context, stored);
  if ("superseded" in current) {
    return supersededEnding(
      context,
      message,
      stored,
      attempt,
      current.superseded,
    );
  }
  const { tick } = current;
  const retry = jobRetryPolicy(context.retry, tick.policy?.retry);
  if (exhausted(attempt, retry.maxAttempts)) {
    const decided = decideOutcome(undefined, attempt, retry);
    return () => end(context, message, tick, attempt, now(context), decided);
  }
  return await admitAndRun(context, message, tick, attempt);
}

/** The tick of `message`; `null` when it is malformed, counted, logged and terminated. */
function decode(context: WorkerContext, message: JsMsg): Tick | null {
  try {
    return decodeTick(message.data);
  } catch (err) {
    if (!(err instanceof ScheduleError)) throw err;
    context.metrics.malformed++;
    context.log.warn("malformed tick terminated", {
      subject: message.subject,
      error: err.message,
    });
    message.term(err.message);
    return null;
  }
}

/**
 * Records the previous attempt of `tick` as interrupted when it never answered. When the
 * run history cannot be read (no permission, its stream gone, a timeout), that is logged
 * and the tick runs all the same.
 */
async function recordLost(
  context: WorkerContext,
  tick: Tick,
  attempt: number,
): Promise<void> {
  let lost: boolean;
  try {
    lost = await lostBefore(context.namespace, tick, attempt);
  } catch (err) {
    context.log.warn(
      "cannot read the run history; the attempt before is not checked",
      { ...tickFields(tick), attempt, error: (err as Error).message },
    );
    return;
  }
  if (!lost) return;
  await record(context, tick, attempt - 1, now(context), {
    outcome: "interrupted",
    result: {
      error: `attempt ${attempt - 1} never answered: its worker stopped or ` +
        "lost NATS mid-call (or could not record it)",
    },
  });
}

/**
 * Asks the governor to admit `tick`, then runs it; a tick the governor skips is recorded
 * as skipped, one waiting when the worker stops is left to the queue.
 */
async function admitAndRun(
  context: WorkerContext,
  message: JsMsg,
  tick: Tick,
  attempt: number,
): Promise<Ending | void> {
  const admitted = await context.governor.admit(
    tick,
    () => message.working(),
    context.stopping,
  );
  if (admitted.kind === "stopped") {
    context.log.info(
      "worker stopping: waiting tick left to the queue",
      tickFields(tick),
    );
    return message.nak();
  }
  if (admitted.kind === "ran") {
    context.metrics.ranAlready++;
    context.log.info(
      "a copy of a tick that already ran is acknowledged, not run",
      {
        ...tickFields(tick),
        attempt,
      },
    );
    return message.ack();
  }
  if (admitted.kind === "skip") {
    const decided = notRun("skipped", admitted.reason);
    return async () => {
      await record(context, tick, attempt, now(context), decided);
      publishTickEvent(context, tick, "skipped", admitted.reason);
      answer(context.log, message, tick, attempt, decided);
    };
  }
  const { lease, waited } = admitted;
  return await holding(
    lease,
    () => runAdmitted(context, message, tick, attempt, waited, lease),
  );
}

/**
 * The execution of a tick holding `lease`: the lease ends with the execution's ending,
 * or at once when the execution or its ending throws. Whatever throws, its heartbeat
 * stops: it would keep the job's lock for good.
 */
async function holding(
  lease: Lease | undefined,
  execution: () => Promise<Ending>,
): Promise<Ending> {
  if (lease === undefined) return await execution();
  try {
    const ending = await execution();
    return () => ending().finally(() => lease.end());
  } catch (err) {
    lease.end();
    throw err;
  }
}

/**
 * Runs an admitted `tick`; one that `waited` for its job's lock first reads its
 * definition again (it may have been removed or replaced meanwhile).
 */
async function runAdmitted(
  context: WorkerContext,
  message: JsMsg,
  tick: Tick,
  attempt: number,
  waited: boolean | undefined,
  lease: Lease | undefined,
): Promise<Ending> {
  if (waited) {
    const current = await standingOf(context, tick);
    if ("superseded" in current) {
      return supersededEnding(
        context,
        message,
        tick,
        attempt,
        current.superseded,
        lease,
      );
    }
    tick = current.tick;
  }
  return await run(context, message, tick, attempt, lease);
}

/** What runs for `tick`, by its definition as it is now (see {@link standing}). */
function standingOf(context: WorkerContext, tick: Tick): Promise<Standing> {
  const { readDefinition, namespace, log } = context;
  return standing(readDefinition, namespace.names, log, tick);
}

/**
 * The ending of a tick not run because its definition was removed or replaced (`why`),
 * releasing the lock it holds, if any.
 */
function supersededEnding(
  context: WorkerContext,
  message: JsMsg,
  tick: Tick,
  attempt: number,
  why: string,
  lease?: Lease,
): Ending {
  const decided = notRun("superseded", why);
  return () =>
    end(context, message, tick, attempt, now(context), decided, lease);
}

/**
 * Runs an admitted `tick` with its mode's handler and decides its outcome by its retry
 * policy; resolves with its ending.
 */
async function run(
  context: WorkerContext,
  message: JsMsg,
  tick: Tick,
  attempt: number,
  lease?: Lease,
): Promise<Ending> {
  const startedAt = now(context);
  const signal = lease?.signal ?? new AbortController().signal;
  const result = await runHandler(
    context.handlers.get(tick.mode),
    tick,
    message,
    attempt,
    context.progressEvery,
    signal,
  );
  const decided = signal.aborted
    ? cancelled(result, String(signal.reason))
    : decideOutcome(
      result,
      attempt,
      jobRetryPolicy(context.retry, tick.policy?.retry),
    );
  return () => end(context, message, tick, attempt, startedAt, decided, lease);
}
