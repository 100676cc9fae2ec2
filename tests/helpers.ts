/**
 * Test helpers: polling with a deadline, a recording logger, and a live view of the job
 * queue.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/nats-core";
import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import { decodeTick } from "../lib/wire/mod.ts";
import { createLogger, type Logger } from "../lib/ops/log.ts";
import { NamespaceNames } from "../lib/nats/names.ts";
import { decodeOrNull } from "../lib/nats/namespace.ts";
import denoJson from "../deno.json" with { type: "json" };

/** The `--allow-*` flags `deno task compile` grants the executable. */
export const COMPILE_PERMISSIONS: string[] = denoJson.tasks.compile.split(" ")
  .filter((flag) => flag.startsWith("--allow-"));

/**
 * Polls `condition` until it holds, failing after `timeout` ms with `what` (when a
 * function, what it returns then).
 */
export async function waitFor(
  what: string | (() => string),
  condition: () => boolean | Promise<boolean>,
  timeout = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      const named = typeof what === "string" ? what : what();
      throw new Error(`timed out after ${timeout} ms waiting for ${named}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A logger that keeps its JSON lines for assertions (and prints them with DEBUG_TESTS). */
export function recordingLogger(): Logger & {
  lines: Record<string, unknown>[];
} {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    write: (line) => {
      lines.push(JSON.parse(line));
      if (Deno.env.get("DEBUG_TESTS")) console.error(line);
    },
  });
  return Object.assign(logger, { lines });
}

/** A tick as found in the job stream. */
export interface StoredTick {
  key: string;
  index: number;
  scheduledAt: number;
  /** When the stream stored it. */
  storedAt: number;
  /** When the node sent it (`firesAt`), for a job with jitter. */
  firesAt?: number;
  /** The job's option as published. */
  option: unknown;
  spec: string;
  /** `manual` or `backfill`; absent for a tick of the job's spec. */
  trigger?: string;
}

/**
 * Follows the namespace's job stream from its start; `ticks` grows as ticks arrive (a
 * message that is not one is skipped).
 */
export async function followTicks(nc: NatsConnection, namespace: string) {
  const names = new NamespaceNames(namespace);
  const consumer = await jetstream(nc).consumers.get(names.jobStream, {
    filter_subjects: names.jobSubjects,
    deliver_policy: DeliverPolicy.All,
  });
  const messages = await consumer.consume();
  const ticks: StoredTick[] = [];
  const done = (async () => {
    for await (const m of messages) {
      const tick = decodeOrNull(m.data, decodeTick);
      if (tick === null) continue; // written by someone else
      ticks.push({
        key: tick.key,
        index: tick.index,
        scheduledAt: tick.scheduledAt.getTime(),
        storedAt: m.info.timestampNanos / 1e6,
        firesAt: tick.firesAt?.getTime(),
        option: tick.option,
        spec: tick.spec,
        trigger: tick.trigger,
      });
    }
  })();
  return {
    ticks,
    /** Scheduled times of one job, in stream order. */
    of: (key: string, index = 0) =>
      ticks.filter((t) => t.key === key && t.index === index).map((t) =>
        t.scheduledAt
      ),
    async stop() {
      messages.stop();
      await done;
    },
  };
}

/** Asserts `times` are whole seconds `step` ms apart, each once, from `first` to `last`. */
export function assertContiguous(
  times: number[],
  step: number,
  label: string,
): void {
  const sorted = [...times].sort((a, b) => a - b);
  const duplicates = sorted.filter((t, i) => i > 0 && t === sorted[i - 1]);
  if (duplicates.length) {
    throw new Error(
      `${label}: duplicated ticks ${
        duplicates.map((t) => new Date(t).toISOString())
      }`,
    );
  }
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] - sorted[i - 1] !== step) {
      throw new Error(
        `${label}: gap between ${new Date(sorted[i - 1]).toISOString()} and ${
          new Date(sorted[i]).toISOString()
        }`,
      );
    }
  }
}

/**
 * The environment that shifts a process's clock by `shift` with libfaketime, as
 * `faketime -f <shift>` does. The library is preloaded directly, not through the
 * `faketime` program, which forks and would not pass SIGTERM on to the node.
 */
export function faketime(shift: string): Record<string, string> {
  const dirs = ["x86_64-linux-gnu/", "aarch64-linux-gnu/", ""].flatMap(
    (arch) => [`/usr/lib/${arch}faketime`, `/usr/local/lib/${arch}faketime`],
  );
  for (const dir of dirs) {
    try {
      Deno.statSync(`${dir}/libfaketime.so.1`);
      return { LD_PRELOAD: `${dir}/libfaketime.so.1`, FAKETIME: shift };
    } catch { /* not here */ }
  }
  throw new Error("libfaketime is not installed (apt-get install faketime)");
}

/** A status as a node answers discovery, of a process that does not exist. */
export const FAKE_STATUS = {
  id: "fake-1",
  role: "node",
  version: "0.0.1",
  namespace: "beta",
  uptime: 3,
};

/**
 * The JSON of a run record of job `key`/0 as a worker writes it (a failed first attempt),
 * with `fields` over it: to write records someone else's way.
 */
export function rawRunRecord(
  key: string,
  fields: Record<string, unknown> = {},
): string {
  const at = new Date().toISOString();
  return JSON.stringify({
    version: 1,
    key,
    index: 0,
    scheduledAt: at,
    attempt: 1,
    startedAt: at,
    durationMs: 1,
    outcome: "failed",
    worker: "w",
    ...fields,
  });
}

/**
 * Answers every status request of namespace `beta` on `nc` as someone else might: with
 * replies that are not statuses (not JSON, `{}`, `null`, an id that is a number, no
 * uptime), then {@link FAKE_STATUS}. Until `unsubscribe()`.
 */
export function answerStatusBadly(nc: NatsConnection): { unsubscribe(): void } {
  const replies = [
    "not json",
    "{}",
    "null",
    "[]",
    JSON.stringify({ ...FAKE_STATUS, id: 5 }),
    JSON.stringify({ ...FAKE_STATUS, uptime: "3" }),
    JSON.stringify({ ...FAKE_STATUS, role: "robot" }),
    JSON.stringify(FAKE_STATUS),
  ];
  return nc.subscribe(new NamespaceNames("beta").statusSubject, {
    callback: (_err, msg) => {
      for (const reply of replies) msg.respond(reply);
    },
  });
}

/**
 * A loopback port held by a listener that closes every connection at once: a call there
 * fails as nothing listening would, and no other process can be given the port meanwhile,
 * as one merely freed could be (a health server on port 0, another test's server).
 */
export function closingPort(): { port: number } & Disposable {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const conn of listener) conn.close();
  })().catch(() => {}); // ends when the listener is closed
  return {
    port: listener.addr.port,
    [Symbol.dispose]: () => listener.close(),
  };
}
