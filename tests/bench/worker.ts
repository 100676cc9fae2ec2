/**
 * Worker throughput (`deno task bench --worker [--runs 10000] [--concurrency 8]`):
 * executions per second of one worker process (`server.ts worker`) against a loopback
 * receiver answering 200 at once, its run history written, beside two loops in processes
 * of their own at the same concurrency against the same receiver, sending the worker's
 * request (a POST with the run headers, no body): bare `fetch`, and `fetch` plus each
 * run's record written to the same run stream as the worker writes it (through one inbox,
 * acknowledged, the lane calling on meanwhile). The three rows split the worker's cost
 * into the HTTP call, the history write, and the rest (pulling, decoding, the definition
 * check, acks).
 *
 * As a program, this module is the receiver and the loops the benchmark starts:
 *
 *   deno run --allow-net tests/bench/worker.ts receive
 *   deno run --allow-net tests/bench/worker.ts loop <url> <concurrency> <count> [<nats url>]
 *
 * @module
 */

import process from "node:process";
import { connect } from "@nats-io/transport-node";
import { encodeDefinition, encodeRunRecord } from "../../lib/wire/mod.ts";
import { tickEncoder } from "../../lib/wire/tick.ts";
import { HttpJob } from "../../lib/jobs/http/job.ts";
import { Namespace } from "../../lib/nats/namespace.ts";
import { NamespaceNames } from "../../lib/nats/names.ts";
import { StreamSender } from "../../lib/nats/stream_sender.ts";
import { RUN_HEADERS } from "../../lib/jobs/http/handler.ts";
import { NatsServer } from "../nats_server.ts";
import {
  NAMESPACE,
  NodeProcess,
  pipelined,
  readStream,
  SECOND,
  serverPid,
  until,
  usageOf,
  wholeSecond,
} from "./_util.ts";

const self = new URL(import.meta.url).pathname;
const KEYS = 100;

/** One row of the table. */
export interface Throughput {
  what: string;
  runs: number;
  seconds: number;
  cpu: number;
  serverCpu: number;
}

/** Runs the three measurements; `runs` executions each. */
export async function workerBench(
  runs: number,
  concurrency: number,
): Promise<{ rows: Throughput[]; outcomes: Record<string, number> }> {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  const natsPid = await serverPid(server);
  const receiver = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", self, "receive"],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const reader = receiver.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    const port = Number((await reader.read()).value);
    reader.releaseLock();
    const url = `http://127.0.0.1:${port}/hook`;

    // Definitions the ticks name (the worker reads each tick's definition revision), then
    // `runs` ticks queued before the worker starts.
    // The run stream keeps every record (by default 100 per job: 10,000 over the keys),
    // so that its count reaches `runs` and its first record is the first run's.
    const { kv, js, jsm, names } = await Namespace.open(nc, NAMESPACE, {
      historyPerJob: runs,
    });
    const anchor = new Date(wholeSecond(Date.now()));
    const encoders: ((scheduledAt: Date) => Uint8Array)[] = [];
    for (let k = 0; k < KEYS; k++) {
      const job = HttpJob("@hourly", { url });
      const revision = await kv.put(
        `job-${k}`,
        encodeDefinition({ jobs: [job], anchor, paused: false }).bytes,
      );
      encoders.push(tickEncoder({
        namespace: NAMESPACE,
        key: `job-${k}`,
        index: 0,
        ...job,
        revision,
      }));
    }
    const base = wholeSecond(Date.now()) - runs * SECOND;
    await pipelined(runs, (j) => {
      const key = `job-${j % KEYS}`;
      const at = base + j * SECOND;
      return js.publish(
        names.jobSubject(key, 0),
        encoders[j % KEYS](new Date(at)),
        { msgID: names.tickId(key, 0, at) },
      );
    });

    const worker = new NodeProcess(server, {
      SCHEDULE_WORKER_CONCURRENCY: String(concurrency),
    }, ["worker"]);
    const count = async () =>
      (await jsm.streams.info(names.runStream)).state.messages;
    const deadline = Date.now() + Math.max(60, runs / 20) * SECOND;
    await until(async () => await count() > 0, deadline);
    const [w0, s0] = [await worker.usage(), await usageOf(natsPid)];
    await until(async () => await count() >= runs, deadline);
    const [w1, s1] = [await worker.usage(), await usageOf(natsPid)];
    const { state } = await jsm.streams.info(names.runStream);
    await worker.stop();
    const outcomes: Record<string, number> = {};
    await readStream(nc, names.runStream, (m) => {
      const { outcome } = m.json<{ outcome: string }>();
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    });
    const rows: Throughput[] = [{
      what: `worker (server.ts worker, concurrency ${concurrency})`,
      runs: state.messages,
      // From the first run record stored to the last: the worker's start excluded.
      seconds: (Date.parse(state.last_ts) - Date.parse(state.first_ts)) /
        SECOND,
      cpu: w1.cpu - w0.cpu,
      serverCpu: s1.cpu - s0.cpu,
    }];

    for (
      const [what, extra] of [["bare fetch loop, the worker's request", []], [
        "fetch + run record write loop, as the worker writes",
        [server.url],
      ]] as const
    ) {
      const s0 = await usageOf(natsPid);
      const loop = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-net",
          self,
          "loop",
          url,
          String(concurrency),
          String(runs),
          ...extra,
        ],
        stderr: "inherit",
      }).output();
      const { seconds, cpu } = JSON.parse(
        new TextDecoder().decode(loop.stdout),
      );
      rows.push({
        what: `${what} (concurrency ${concurrency})`,
        runs,
        seconds,
        cpu,
        serverCpu: (await usageOf(natsPid)).cpu - s0.cpu,
      });
    }
    await nc.close();
    return { rows, outcomes };
  } finally {
    receiver.kill("SIGTERM");
    await receiver.status;
  }
}

/** CPU seconds of this process. */
function ownCpu(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/**
 * The worker's request to a job's URL with no body: a POST with the run headers (their
 * values of the first attempt of a tick).
 */
function request(j: number): RequestInit {
  return {
    method: "POST",
    headers: {
      [RUN_HEADERS.scheduledAt]: new Date(j * SECOND).toISOString(),
      [RUN_HEADERS.messageId]: `${NAMESPACE}.loop.0.${j * SECOND}`,
      [RUN_HEADERS.attempt]: "1",
      [RUN_HEADERS.trigger]: "schedule",
    },
  };
}

/**
 * `count` calls to `url` on `concurrency` lanes; given `natsUrl`, each call's run record
 * is written as the worker writes it: through one inbox, the lane calling on while at most
 * four records a lane wait for their acknowledgement.
 */
async function loop(
  url: string,
  concurrency: number,
  count: number,
  natsUrl?: string,
): Promise<void> {
  const nc = natsUrl ? await connect({ servers: natsUrl }) : undefined;
  const names = new NamespaceNames(NAMESPACE);
  const sender = nc && new StreamSender(nc, names.runStream, 5 * SECOND);
  const writing = new Set<Promise<unknown>>();
  let next = 0;
  const cpu0 = ownCpu();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, lane) => {
      while (next < count) {
        const j = next++;
        const startedAt = new Date();
        const response = await fetch(url, request(j));
        const text = await response.text();
        if (!sender) continue;
        while (writing.size >= 4 * concurrency) await Promise.race(writing);
        const key = `loop-${lane}`;
        const written = sender.publish(
          names.runSubject(key, 0),
          encodeRunRecord({
            key,
            index: 0,
            scheduledAt: new Date(wholeSecond(Date.now()) - j * SECOND),
            attempt: 1,
            startedAt,
            durationMs: Date.now() - startedAt.getTime(),
            outcome: "success",
            status: response.status,
            response: text,
            worker: "loop",
            revision: 1,
          }),
        ).finally(() => writing.delete(written));
        writing.add(written);
      }
    }),
  );
  await Promise.all(writing);
  const seconds = (performance.now() - started) / SECOND;
  console.log(JSON.stringify({ seconds, cpu: ownCpu() - cpu0 }));
  sender?.close();
  await nc?.close();
}

if (import.meta.main) {
  const [role, ...args] = Deno.args;
  if (role === "receive") {
    // Stops by itself after 15 minutes should the benchmark not stop it.
    const server = Deno.serve(
      {
        hostname: "127.0.0.1",
        port: 0,
        onListen: ({ port }) => console.log(port),
      },
      () => new Response("ok"),
    );
    setTimeout(() => server.shutdown(), 15 * 60 * SECOND);
    await server.finished;
  } else if (role === "loop") {
    const [url, concurrency, count, natsUrl] = args;
    await loop(url, Number(concurrency), Number(count), natsUrl);
  } else {
    console.error("usage: worker.ts receive | loop <url> <n> <count> [nats]");
    Deno.exit(2);
  }
}
