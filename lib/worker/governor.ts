/**
 * The worker's side of run governance: the overlap lock of a job across all workers, and
 * its consecutive failures, both in the namespace's run state bucket (see
 * `run_state.ts` for the state and its transitions).
 *
 * @module
 */

import type { KV, KvEntry } from "@nats-io/kv";
import { KvWatchInclude } from "@nats-io/kv";
import { changeEntry } from "../nats/kv_change.ts";
import type { Logger } from "../ops/log.ts";
import type { OverlapPolicy, RunOutcome, Tick } from "../types.ts";
import {
  type Admission,
  admit,
  cancelledBy,
  decodeRunState,
  encodeRunState,
  heartbeat,
  type JobRunState,
  type RunClaim,
  settle,
} from "./run_state.ts";
import { tickFields } from "./_util.ts";
import { onAbort } from "../_util.ts";

/** A run holding its job: aborted when another tick asks to cancel it. */
export interface Lease {
  /** The tick and worker holding the job. */
  claim: RunClaim;
  /** Aborted when a newer tick cancels this run; its reason says by which worker. */
  signal: AbortSignal;
  /** Stops the heartbeat and the watch for cancel requests (not the release). */
  end(): void;
}

/** What {@link Governor.admit} decided. */
export type Admitted =
  | {
    kind: "run";
    lease?: Lease;
    /** True when the tick waited for its lock: things may have changed meanwhile. */
    waited?: boolean;
  }
  | { kind: "skip"; reason: string }
  /** The tick already ran to its end: this is a copy delivered again. */
  | { kind: "ran"; reason: string }
  | { kind: "stopped" };

/** What the governor needs. */
export interface GovernorOptions {
  /** The run state bucket, opened on first use. */
  bucket: () => Promise<KV>;
  /** Creates the bucket again when it is missing (it was deleted); true when it did. */
  restore: () => Promise<boolean>;
  /** The worker's name. */
  worker: string;
  /** The ack wait, in ms: a run whose heartbeat is older is taken for dead. */
  staleAfter: number;
  /** How often a running or waiting tick says it is alive, in ms (a third of the ack wait). */
  every: number;
  /**
   * The time, in epoch ms, that heartbeats are written with and compared to: the NATS
   * server's (the worker's `ServerClock`), so that workers whose own clocks differ by more
   * than the ack wait neither take a live lock for stale nor wait on a dead one.
   */
  now: () => number;
  log: Logger;
}

/**
 * Admits ticks under their job's overlap policy, and settles them when they end.
 *
 * @example
 * ```ts ignore
 * const governor = new Governor({ bucket: () => namespace.runState(),
 *   restore: () => namespace.provisionRunState(), worker: "w1",
 *   staleAfter: 30_000, every: 10_000, now: () => clock.now(), log });
 * const admitted = await governor.admit(tick, () => message.working(), stopping);
 * ```
 */
export class Governor {
  readonly #options: GovernorOptions;

  constructor(options: GovernorOptions) {
    this.#options = options;
  }

  /**
   * Whether `tick` runs now. `allow` (the default) runs at once with no lock. `skip`,
   * `buffer` and `cancel` take the job's lock, or wait for it (calling `working` so that
   * the queue keeps the message, and giving up when `stopping` is aborted), or skip; a
   * copy of a tick that already ran to its end (delivered again) does not run. A
   * bucket found missing (deleted) is created again, logged; when the bucket cannot be
   * used the tick runs, logged: a tick is never lost to it.
   */
  async admit(
    tick: Tick,
    working: () => void,
    stopping: AbortSignal,
  ): Promise<Admitted> {
    const overlap: OverlapPolicy = tick.policy?.overlap ?? "allow";
    if (overlap === "allow") return { kind: "run" };
    const claim = this.#claim(tick);
    const request = () => ({
      ...claim,
      now: this.#options.now(),
      staleAfter: this.#options.staleAfter,
      overlap,
    });
    let decided: Decided;
    try {
      decided = await this.#restoring(() =>
        this.#decide(tick, request, working, stopping)
      );
    } catch (err) {
      this.#options.log.warn(
        "run state unavailable; running the tick without its overlap lock",
        { ...tickFields(tick), error: (err as Error).message },
      );
      return { kind: "run" };
    }
    const { kv, admission, waited } = decided;
    if (admission.kind === "skip" || admission.kind === "ran") return admission;
    if (admission.kind === "wait") {
      // Stopped while it waited: its place in the run state is taken back (or goes stale).
      await this.settle(tick, undefined, "gave up").catch((err) =>
        this.#options.log.warn(
          "run state not updated: the waiting tick's place goes stale after the ack wait",
          { ...tickFields(tick), error: (err as Error).message },
        )
      );
      return { kind: "stopped" };
    }
    return { kind: "run", lease: this.#lease(kv, tick, claim), waited };
  }

  /**
   * Releases the job's lock (when `lease` holds it, or when the tick gave up waiting) and
   * counts the job's consecutive failures when it has `pauseAfterFailures` (in a bucket
   * created again if it was found missing). Returns true
   * when they reach it: the caller pauses the key (the count starts again). Nothing is
   * read or written for a job of no lock and no `pauseAfterFailures`, unless `lease`
   * holds the lock: a tick admitted under a lock may run as a replacement's of no lock.
   */
  async settle(
    tick: Tick,
    lease: Lease | undefined,
    outcome: RunOutcome | "gave up",
  ): Promise<{ pause: boolean; failures: number }> {
    lease?.end();
    const pauseAfter = tick.policy?.pauseAfterFailures;
    const overlap = tick.policy?.overlap ?? "allow";
    if (
      overlap === "allow" && pauseAfter === undefined && lease === undefined
    ) return { pause: false, failures: 0 };
    const claim = lease?.claim ??
      (outcome === "gave up" ? this.#claim(tick) : undefined);
    let settled = { pause: false, failures: 0 };
    await this.#restoring(async () =>
      this.#change(await this.#options.bucket(), tick, (state) => {
        const { next, ...rest } = settle(
          state,
          claim,
          outcome,
          pauseAfter,
          tick.revision,
        );
        settled = rest;
        return next;
      })
    );
    return settled;
  }

  /**
   * Runs `use` of the bucket; when it fails and the bucket is found missing (deleted
   * under the worker: every use would fail until the worker restarts), creates it again,
   * logged, and runs `use` once more. Otherwise throws what `use` threw.
   */
  async #restoring<T>(use: () => Promise<T>): Promise<T> {
    try {
      return await use();
    } catch (err) {
      if (!await this.#options.restore().catch(() => false)) throw err;
      this.#options.log.warn("run state bucket missing; created again", {
        error: (err as Error).message,
      });
      return await use();
    }
  }

  /** Admits `tick`, waiting for its job's lock when it has to (see {@link admit}). */
  async #decide(
    tick: Tick,
    request: () => Parameters<typeof admit>[1],
    working: () => void,
    stopping: AbortSignal,
  ): Promise<Decided> {
    const kv = await this.#options.bucket();
    const admission = await this.#admit(kv, tick, request);
    if (admission.kind !== "wait") return { kv, admission, waited: false };
    const waitedFor = await this.#wait(kv, tick, request, working, stopping);
    return { kv, admission: waitedFor, waited: true };
  }

  /** One admission round: read, decide, write (again on a conflict). */
  async #admit(
    kv: KV,
    tick: Tick,
    request: () => Parameters<typeof admit>[1],
  ): Promise<Admission> {
    let admission: Admission = { kind: "wait", reason: "" };
    await this.#change(kv, tick, (state) => {
      const decided = admit(state, request());
      admission = decided.admission;
      return decided.next;
    });
    return admission;
  }

  /**
   * Waits until `tick` is admitted or skipped, deciding again at each change of its
   * job's state and every `every` ms (a dead holder's heartbeat goes stale without any
   * change); `kind: "wait"` when `stopping` was aborted first.
   */
  async #wait(
    kv: KV,
    tick: Tick,
    request: () => Parameters<typeof admit>[1],
    working: () => void,
    stopping: AbortSignal,
  ): Promise<Admission> {
    this.#options.log.info("tick waits for the run in progress", {
      ...tickFields(tick),
      policy: tick.policy?.overlap,
    });
    const changes = await watchKey(kv, this.#stateKey(tick));
    try {
      for (;;) {
        const admission = await this.#admit(kv, tick, request);
        if (admission.kind !== "wait" || stopping.aborted) return admission;
        try {
          working();
        } catch {
          /* the connection is gone: the message will be redelivered */
        }
        await changes.next(this.#options.every, stopping);
      }
    } finally {
      changes.stop();
    }
  }

  /**
   * Keeps the job's lock alive and watches for a request to cancel the run; each
   * heartbeat reads it too, so that a watch whose consumer the server lost delays a
   * cancel by one beat at most.
   */
  #lease(kv: KV, tick: Tick, claim: RunClaim): Lease {
    const cancel = new AbortController();
    const cancelled = (state: JobRunState) => {
      const by = cancelledBy(state, claim);
      if (by !== undefined) {
        cancel.abort(`cancelled for a newer tick by worker ${by}`);
      }
      return by !== undefined;
    };
    const key = this.#stateKey(tick);
    let lost = false;
    const beat = setInterval(async () => {
      try {
        const { value, written } = await this.#change(
          kv,
          tick,
          (state) => heartbeat(state, claim, this.#options.now()),
        );
        cancelled(value);
        if (!written && !lost) {
          lost = true;
          this.#options.log.warn(
            "overlap lock taken over by another worker while running",
            tickFields(tick),
          );
        }
      } catch { /* NATS is gone: the lock goes stale, as it should */ }
    }, this.#options.every);
    const watching = kv.watch({ key }).catch(() => undefined);
    watching.then(async (entries) => {
      for await (const entry of entries ?? []) {
        if (cancelled(readState(entry))) break;
      }
    }).catch(() => {});
    return {
      claim,
      signal: cancel.signal,
      end() {
        clearInterval(beat);
        watching.then((entries) => entries?.stop());
      },
    };
  }

  #change(
    kv: KV,
    tick: Tick,
    change: (state: JobRunState) => JobRunState | null,
  ) {
    return changeEntry(
      kv,
      this.#stateKey(tick),
      readState,
      change,
      encodeRunState,
    );
  }

  #claim(tick: Tick): RunClaim {
    const claim: RunClaim = {
      scheduledAt: tick.scheduledAt.toISOString(),
      worker: this.#options.worker,
    };
    if (tick.trigger !== undefined && tick.trigger !== "schedule") {
      claim.trigger = tick.trigger;
    }
    return claim;
  }

  #stateKey(tick: Tick): string {
    return `${tick.key}.${tick.index}`;
  }
}

/** What {@link Governor.admit} found: the bucket, and whether the tick waited. */
interface Decided {
  kv: KV;
  admission: Admission;
  waited: boolean;
}

/** A job's state from its entry: empty when absent or not a run state. */
function readState(entry: KvEntry | null): JobRunState {
  if (entry === null || entry.operation !== "PUT") return {};
  try {
    return decodeRunState(entry.value);
  } catch {
    return {};
  }
}

/** The changes of one key, awaited one at a time with a timeout. */
async function watchKey(kv: KV, key: string) {
  const entries = await kv.watch({
    key,
    include: KvWatchInclude.UpdatesOnly,
  });
  const iterator = entries[Symbol.asyncIterator]();
  let change: Promise<unknown> | undefined;
  return {
    /** Resolves at the next change, after `timeout` ms, or when `signal` aborts. */
    async next(timeout: number, signal: AbortSignal): Promise<void> {
      change ??= iterator.next().finally(() => change = undefined);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const aborted = Promise.withResolvers<void>();
      const stopListening = onAbort(signal, aborted.resolve);
      try {
        await Promise.race([
          change,
          new Promise((resolve) => timer = setTimeout(resolve, timeout)),
          aborted.promise,
        ]);
      } finally {
        clearTimeout(timer);
        stopListening();
      }
    },
    stop: () => entries.stop(),
  };
}
