/**
 * The setup of the worker tests: a local HTTP receiver, a nats-server with a client and
 * workers started on their own connections.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/nats-core";
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { Schedule } from "../mod.ts";
import {
  decodeDefinition,
  definedRevision,
  encodeTick,
} from "../lib/wire/mod.ts";
import { NamespaceNames } from "../lib/nats/names.ts";
import { Worker, type WorkerOptions } from "../lib/worker/mod.ts";
import type { Job } from "../lib/types.ts";
import { NatsServer } from "./nats_server.ts";
import { recordingLogger } from "./helpers.ts";

export const names: NamespaceNames = new NamespaceNames("beta");

/** A request a hook server received. */
export interface Received {
  method: string;
  headers: Headers;
  body: string;
  at: number;
  /** Aborted when the caller drops the request. */
  signal: AbortSignal;
}

/** A local HTTP server that records requests and answers with `respond`. */
export function hookServer(
  respond: (request: Received, count: number) => Response | Promise<Response>,
) {
  const received: Received[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const request = {
        method: req.method,
        headers: req.headers,
        body: await req.text(),
        at: Date.now(),
        signal: req.signal,
      };
      received.push(request);
      return await respond(request, received.length);
    },
  );
  return {
    received,
    url: `http://127.0.0.1:${server.addr.port}/hook`,
    close: () => server.shutdown(),
  };
}

/** What a worker test gets. */
export interface Setup {
  server: NatsServer;
  nc: NatsConnection;
  schedule: Schedule;
  startWorker(
    options?: Partial<WorkerOptions>,
  ): Promise<
    {
      worker: Worker;
      nc: NatsConnection;
      log: ReturnType<typeof recordingLogger>;
    }
  >;
  /** Puts one tick of job 0 of `key` in the queue, as a node would. */
  enqueue(
    key: string,
    job: Job,
    scheduledAt?: Date,
    revision?: number,
  ): Promise<string>;
  /** The revision of the definition of `key` a node would put in its ticks. */
  revisionOf(key: string): Promise<number>;
}

/** Runs `fn` with a nats-server, a client and workers, stopped and closed after. */
export async function withWorkers(fn: (setup: Setup) => Promise<void>) {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  const schedule = await Schedule.create("beta", nc);
  const js = jetstream(nc);
  const workers: { worker: Worker; nc: NatsConnection }[] = [];
  const setup: Setup = {
    server,
    nc,
    schedule,
    async startWorker(options = {}) {
      const workerNc = await server.connect();
      const log = recordingLogger();
      const worker = await Worker.start(workerNc, {
        namespace: "beta",
        retryDelay: 100,
        maxAttempts: 3,
        ackWait: 2000,
        logger: log,
        ...options,
      });
      const started = { worker, nc: workerNc, log };
      workers.push(started);
      return started;
    },
    async enqueue(
      key,
      job,
      scheduledAt = new Date(Math.floor(Date.now() / 1000) * 1000),
      revision,
    ) {
      const msgID = names.tickId(key, 0, scheduledAt.getTime());
      const tick = encodeTick({
        ...job,
        namespace: "beta",
        key,
        index: 0,
        scheduledAt,
        revision,
      });
      await js.publish(names.jobSubject(key, 0), tick, { msgID });
      return msgID;
    },
    async revisionOf(key) {
      const kv = await new Kvm(nc).open(names.bucket);
      const entry = await kv.get(key);
      return definedRevision(
        decodeDefinition(entry!.value).definition,
        entry!.revision,
      );
    },
  };
  try {
    await fn(setup);
  } finally {
    for (const { worker, nc } of workers) {
      await worker.stop();
      if (!nc.isClosed()) await nc.close();
    }
    await nc.close();
  }
}
