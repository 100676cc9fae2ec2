/**
 * The run state of one governed job, as the workers share it in the namespace's run
 * state bucket (`schedule-<ns>-running`, key `<key>.<index>`), and the pure transitions
 * of it every worker applies with a revision-checked write:
 *
 * - `running`: the tick being run, by which worker, its heartbeat (refreshed every third
 *   of the ack wait). A heartbeat older than the ack wait is stale: its worker died, and
 *   the next tick takes the job over.
 * - `pending`: the one tick waiting for the running one to end (overlap `buffer`), with
 *   its heartbeat: a waiting tick whose worker died leaves it stale after the ack wait.
 * - `cancel`: a request to abort the running tick (overlap `cancel`).
 * - `failures`: consecutive ticks of the job that ended failed (`pauseAfterFailures`),
 *   of the definition revision `failuresOf`.
 * - `ended`: the job's last ticks that ran to their end, so that a copy of one delivered
 *   again (read ahead by a busy worker past the ack wait) is not run again.
 *
 * @module
 */

import { isRecord } from "../_util.ts";
import { CodecError } from "../errors.ts";
import type { OverlapPolicy, RunOutcome, TickTrigger } from "../types.ts";

/** The tick a worker runs, or waits to run. */
export interface RunClaim {
  /** The tick's scheduled time (ISO 8601). */
  scheduledAt: string;
  /** The worker's name. */
  worker: string;
  /** What made the tick, when not its schedule (`manual`, `backfill`). */
  trigger?: TickTrigger;
}

/** The shared state of one job. */
export interface JobRunState {
  /** The tick in progress, if any. */
  running?: RunClaim & {
    /** When it started (the worker's clock, ISO 8601). */
    startedAt: string;
    /** When its worker last said it is alive (the worker's clock, ISO 8601). */
    heartbeatAt: string;
  };
  /** The tick waiting for the running one to end (overlap `buffer`). */
  pending?: RunClaim & {
    /** When its worker last said it waits (the worker's clock, ISO 8601). */
    heartbeatAt?: string;
  };
  /** A request to abort the running tick `scheduledAt`, by `worker` (overlap `cancel`). */
  cancel?: RunClaim;
  /** Consecutive ticks of the job that ended failed. */
  failures?: number;
  /** The definition revision of the ticks `failures` counts (absent: ticks without one). */
  failuresOf?: number;
  /**
   * The job's last ticks that ran to their end (success, failed, cancelled), newest
   * first, at most {@link ENDED_KEPT}: each its scheduled time (ISO 8601), followed by
   * its trigger when not the schedule (see {@link endedId}).
   */
  ended?: string[];
}

/** How many of a job's last ended ticks its state keeps (`JobRunState.ended`). */
export const ENDED_KEPT = 8;

/**
 * How `ended` names the tick of `claim`: its scheduled time, and its trigger when not the
 * schedule (a backfill of a tick that ran is another tick).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { endedId } from "./run_state.ts";
 * const at = "2030-01-01T00:00:00.000Z";
 * assert.equal(endedId({ scheduledAt: at, worker: "w1" }), at);
 * assert.equal(endedId({ scheduledAt: at, worker: "w1", trigger: "backfill" }), `${at} backfill`);
 * ```
 */
export function endedId(claim: RunClaim): string {
  return claim.trigger === undefined || claim.trigger === "schedule"
    ? claim.scheduledAt
    : `${claim.scheduledAt} ${claim.trigger}`;
}

/** The outcomes that end a tick that ran. */
const ENDING: ReadonlySet<RunOutcome | "gave up"> = new Set([
  "success",
  "failed",
  "cancelled",
]);

/** What a tick may do, given the state of its job. */
export type Admission =
  | { kind: "run" }
  | { kind: "skip"; reason: string }
  | { kind: "wait"; reason: string }
  | { kind: "ran"; reason: string };

/** Who asks (the worker of the claim), for which tick, when, and under which policy. */
export interface AdmissionRequest extends RunClaim {
  /** Now, in epoch ms. */
  now: number;
  /** How old a heartbeat may be before its run is taken for dead, in ms (the ack wait). */
  staleAfter: number;
  /** The job's overlap policy (not `allow`). */
  overlap: Exclude<OverlapPolicy, "allow">;
}

/**
 * Whether a tick may run now: `ran` when it already ran to its end (a copy delivered
 * again); else it runs when nothing runs, when the running tick's
 * heartbeat is stale, or when the running tick is itself on the same worker (redelivered:
 * its worker restarted). A copy of the running tick on another worker (delivered again
 * while it runs) waits for it, whatever the policy: a tick never runs twice at once.
 * Else `skip` skips it; `buffer` makes it the pending tick (waits), or skips it when
 * another tick is pending and alive; `cancel` asks the running tick to stop (waits), or
 * skips it when the running tick is newer. `next` is the state to write (`null`: write
 * nothing).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { admit } from "./run_state.ts";
 * const request = {
 *   scheduledAt: "2030-01-01T00:00:01.000Z", worker: "w2", now: Date.parse("2030-01-01T00:00:02Z"),
 *   staleAfter: 30_000, overlap: "skip" as const,
 * };
 * assert.equal(admit({}, request).admission.kind, "run");
 * const busy = { running: {
 *   scheduledAt: "2030-01-01T00:00:00.000Z", worker: "w1",
 *   startedAt: "2030-01-01T00:00:00.000Z", heartbeatAt: "2030-01-01T00:00:00.000Z",
 * } };
 * assert.deepEqual(admit(busy, request), {
 *   admission: {
 *     kind: "skip", reason: "tick 2030-01-01T00:00:00.000Z is running on worker w1",
 *   },
 *   next: null,
 * });
 * ```
 */
export function admit(
  state: JobRunState,
  request: AdmissionRequest,
): { admission: Admission; next: JobRunState | null } {
  const { scheduledAt, worker, overlap } = request;
  const { running } = state;
  if (state.ended?.includes(endedId(request))) {
    const reason = `tick ${endedId(request)} already ran to its end`;
    return { admission: { kind: "ran", reason }, next: null };
  }
  if (
    running === undefined || stale(running.heartbeatAt, request) ||
    (running.scheduledAt === scheduledAt && running.worker === worker)
  ) {
    return { admission: { kind: "run" }, next: claimed(state, request) };
  }
  const busy =
    `tick ${running.scheduledAt} is running on worker ${running.worker}`;
  if (running.scheduledAt === scheduledAt) {
    return { admission: { kind: "wait", reason: busy }, next: null };
  }
  if (overlap === "skip") {
    return { admission: { kind: "skip", reason: busy }, next: null };
  }
  if (overlap === "buffer") return buffered(state, request, busy);
  return cancelling(state, running, request, busy);
}

/** The state with the job claimed by `request`'s tick, dropping what it settles. */
function claimed(state: JobRunState, request: AdmissionRequest): JobRunState {
  const { scheduledAt, worker, now } = request;
  const at = new Date(now).toISOString();
  const next: JobRunState = {
    ...state,
    running: { scheduledAt, worker, startedAt: at, heartbeatAt: at },
  };
  delete next.cancel;
  if (state.pending?.scheduledAt === scheduledAt) delete next.pending;
  return next;
}

/**
 * `buffer`: the tick waits as the pending one (its heartbeat refreshed as it asks again),
 * or is skipped when another is pending and alive.
 */
function buffered(
  state: JobRunState,
  request: AdmissionRequest,
  busy: string,
): { admission: Admission; next: JobRunState | null } {
  const { scheduledAt, worker, now, staleAfter } = request;
  const { pending } = state;
  const waiting = pending !== undefined && !stale(pending.heartbeatAt, request);
  if (waiting && pending.scheduledAt !== scheduledAt) {
    const reason =
      `tick ${pending.scheduledAt} is already waiting on worker ${pending.worker} (${busy})`;
    return { admission: { kind: "skip", reason }, next: null };
  }
  // Refreshed when a quarter of the ack wait old: each write wakes the waiting ticks.
  const fresh = waiting && pending.worker === worker &&
    now - Date.parse(pending.heartbeatAt!) < staleAfter / 4;
  const heartbeatAt = new Date(now).toISOString();
  return {
    admission: { kind: "wait", reason: busy },
    next: fresh
      ? null
      : { ...state, pending: { scheduledAt, worker, heartbeatAt } },
  };
}

/**
 * True when a heartbeat is older than the ack wait, missing or not a time (written by
 * someone else): its worker is gone.
 */
function stale(
  heartbeatAt: string | undefined,
  { now, staleAfter }: AdmissionRequest,
): boolean {
  return heartbeatAt === undefined ||
    !(now - Date.parse(heartbeatAt) <= staleAfter);
}

/**
 * `cancel`: the tick asks the `running` one to stop and waits, or is skipped when the
 * running tick is newer.
 */
function cancelling(
  state: JobRunState,
  running: RunClaim,
  { scheduledAt, worker }: AdmissionRequest,
  busy: string,
): { admission: Admission; next: JobRunState | null } {
  if (Date.parse(running.scheduledAt) > Date.parse(scheduledAt)) {
    const reason = `a newer ${busy}`;
    return { admission: { kind: "skip", reason }, next: null };
  }
  return {
    admission: { kind: "wait", reason: `cancelling: ${busy}` },
    next: state.cancel?.scheduledAt === running.scheduledAt
      ? null
      : { ...state, cancel: { scheduledAt: running.scheduledAt, worker } },
  };
}

/**
 * The state with `claim`'s heartbeat refreshed to `now`; `null` when `claim` no longer
 * holds the job (it was taken over).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { heartbeat } from "./run_state.ts";
 * const claim = { scheduledAt: "2030-01-01T00:00:00.000Z", worker: "w1" };
 * const running = { ...claim, startedAt: claim.scheduledAt, heartbeatAt: claim.scheduledAt };
 * assert.equal(heartbeat({ running }, claim, 0)?.running?.heartbeatAt, "1970-01-01T00:00:00.000Z");
 * assert.equal(heartbeat({}, claim, 0), null);
 * ```
 */
export function heartbeat(
  state: JobRunState,
  claim: RunClaim,
  now: number,
): JobRunState | null {
  if (!holds(state, claim)) return null;
  return {
    ...state,
    running: { ...state.running!, heartbeatAt: new Date(now).toISOString() },
  };
}

/**
 * Who asked to cancel `claim`'s run, when somebody did and `claim` still holds the job.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cancelledBy } from "./run_state.ts";
 * const claim = { scheduledAt: "2030-01-01T00:00:00.000Z", worker: "w1" };
 * const running = { ...claim, startedAt: claim.scheduledAt, heartbeatAt: claim.scheduledAt };
 * const cancel = { scheduledAt: claim.scheduledAt, worker: "w2" };
 * assert.equal(cancelledBy({ running, cancel }, claim), "w2");
 * assert.equal(cancelledBy({ running }, claim), undefined);
 * ```
 */
export function cancelledBy(
  state: JobRunState,
  claim: RunClaim,
): string | undefined {
  return holds(state, claim) && state.cancel?.scheduledAt === claim.scheduledAt
    ? state.cancel.worker
    : undefined;
}

/**
 * The state once a tick of definition `revision` ended with `outcome`: its claim released
 * (running, or pending when it gave up waiting), the consecutive failures counted when
 * `pauseAfter` is set (a `failed` adds one, a `success` resets; other outcomes are not the
 * end of a tick; a tick of a newer revision than those counted starts the count again:
 * the definition was replaced; one of an older revision, ending late, leaves the newer
 * one's count as it is), and the tick kept among the job's `ended` when it ran to its
 * end. When the count reaches `pauseAfter` it starts again from
 * zero and `pause` is true: the caller pauses the key. `null` when there is nothing to
 * write.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { settle } from "./run_state.ts";
 * const claim = { scheduledAt: "2030-01-01T00:00:00.000Z", worker: "w1" };
 * const running = { ...claim, startedAt: claim.scheduledAt, heartbeatAt: claim.scheduledAt };
 * assert.deepEqual(settle({ running, failures: 1 }, claim, "failed", 2), {
 *   next: { ended: [claim.scheduledAt] }, failures: 2, pause: true,
 * });
 * ```
 */
export function settle(
  state: JobRunState,
  claim: RunClaim | undefined,
  outcome: RunOutcome | "gave up",
  pauseAfter: number | undefined,
  revision?: number,
): { next: JobRunState | null; failures: number; pause: boolean } {
  const next: JobRunState = { ...state };
  if (claim !== undefined && holds(state, claim)) {
    delete next.running;
    if (state.cancel?.scheduledAt === claim.scheduledAt) delete next.cancel;
    if (ENDING.has(outcome)) {
      const id = endedId(claim);
      const before = (state.ended ?? []).filter((ended) => ended !== id);
      next.ended = [id, ...before].slice(0, ENDED_KEPT);
    }
  }
  if (
    claim !== undefined && state.pending?.scheduledAt === claim.scheduledAt &&
    state.pending.worker === claim.worker
  ) delete next.pending;
  let failures = state.failures ?? 0;
  let pause = false;
  const older = revision !== undefined && state.failuresOf !== undefined &&
    revision < state.failuresOf;
  if (
    pauseAfter !== undefined && !older &&
    (outcome === "success" || outcome === "failed")
  ) {
    if (outcome === "success" || state.failuresOf !== revision) failures = 0;
    if (outcome === "failed") pause = ++failures >= pauseAfter;
    if (failures > 0 && !pause) {
      next.failures = failures;
      if (revision === undefined) delete next.failuresOf;
      else next.failuresOf = revision;
    } else {
      delete next.failures;
      delete next.failuresOf;
    }
  }
  const changed = JSON.stringify(next) !== JSON.stringify(state);
  return { next: changed ? next : null, failures, pause };
}

/** Encodes a job's run state. */
export function encodeRunState(state: JobRunState): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(state));
}

/**
 * Decodes a job's run state. A field of the wrong shape (written by someone else: a
 * `running` that is `null`, a `failures` that is not a count) is left out, as if absent,
 * so that the next write replaces it; fields it does not know are kept.
 *
 * @throws {CodecError} When the bytes are not a JSON object.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeRunState } from "./run_state.ts";
 * const bytes = new TextEncoder().encode('{"running":null,"failures":2}');
 * assert.deepEqual(decodeRunState(bytes), { failures: 2 });
 * ```
 */
export function decodeRunState(bytes: Uint8Array): JobRunState {
  let state: unknown;
  try {
    state = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new CodecError("run state: not JSON");
  }
  if (!isRecord(state)) {
    throw new CodecError("run state: expected a JSON object");
  }
  const decoded = { ...state };
  for (const field of ["running", "pending", "cancel"] as const) {
    if (field in decoded && !isClaim(decoded[field])) delete decoded[field];
  }
  const count = (value: unknown) =>
    Number.isSafeInteger(value) && (value as number) >= 0;
  if ("failures" in decoded && !count(decoded.failures)) {
    delete decoded.failures;
  }
  if ("failuresOf" in decoded && !count(decoded.failuresOf)) {
    delete decoded.failuresOf;
  }
  const { ended } = decoded;
  if (
    "ended" in decoded &&
    !(Array.isArray(ended) && ended.every((at) => typeof at === "string"))
  ) delete decoded.ended;
  return decoded as JobRunState;
}

/** A claim's shape: its tick and worker, and its times (when present) as strings. */
function isClaim(value: unknown): boolean {
  return isRecord(value) && typeof value.scheduledAt === "string" &&
    typeof value.worker === "string" &&
    ["startedAt", "heartbeatAt", "trigger"].every((field) =>
      value[field] === undefined || typeof value[field] === "string"
    );
}

function holds(state: JobRunState, claim: RunClaim): boolean {
  return state.running?.scheduledAt === claim.scheduledAt &&
    state.running.worker === claim.worker;
}
