import assert from "node:assert/strict";
import { jetstream } from "@nats-io/jetstream";
import { HttpJob, Schedule } from "../mod.ts";
import { Namespace } from "../lib/nats/namespace.ts";
import { NamespaceNames } from "../lib/nats/names.ts";
import { RUN_HEADERS } from "../lib/jobs/http/handler.ts";
import { NatsServer } from "./nats_server.ts";
import { NatsCluster } from "./nats_cluster.ts";
import { Service } from "./_cli.ts";
import {
  assertContiguous,
  followTicks,
  recordingLogger,
  waitFor,
} from "./helpers.ts";

const names = new NamespaceNames("beta");

Deno.test("an existing namespace with other replicas is left as it is, with a warning per stream", async () => {
  await using server = await NatsServer.start();
  const nc = await server.connect();
  await Namespace.open(nc, "beta");
  const log = recordingLogger();
  const opened = await Namespace.open(nc, "beta", { replicas: 3, logger: log });
  assert.equal(opened.jobStream.config.num_replicas, 1);
  assert.deepEqual(
    log.lines.map(({ level, stream, replicas, configured }) => ({
      level,
      stream,
      replicas,
      configured,
    })),
    [
      `KV_${names.bucket}`,
      `KV_${names.modesBucket}`,
      names.jobStream,
      names.runStream,
    ].map((stream) => ({
      level: "warn",
      stream,
      replicas: 1,
      configured: 3,
    })),
  );
  const quiet = recordingLogger();
  await Namespace.open(nc, "beta", { replicas: 1, logger: quiet });
  assert.deepEqual(quiet.lines, []);
  await nc.close();
});

Deno.test("on a 3-server cluster, killing the job stream's leader loses and duplicates no tick and no execution", async () => {
  await using cluster = await NatsCluster.start(3);
  const executions: number[] = [];
  await using receiver = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => {
      executions.push(
        Date.parse(request.headers.get(RUN_HEADERS.scheduledAt)!),
      );
      return new Response("ok");
    },
  );
  const env = {
    SCHEDULE_NAMESPACE: "beta",
    SCHEDULE_NATS_HOSTS: cluster.urls.join(","),
    SCHEDULE_NATS_REPLICAS: "3",
    SCHEDULE_HTTP_PORT: "0",
    // A delivery lost with the dead server comes back after the ack wait: 15 s, not 30.
    SCHEDULE_WORKER_ACK_WAIT: "15s",
  };
  const services = [
    new Service(["node"], env),
    new Service(["node"], env),
    new Service(["worker"], env),
  ];
  for (const service of services) {
    await service.until(
      service === services[2] ? '"worker started"' : '"definitions loaded"',
    );
  }
  const nc = await cluster.connect();
  const jsm = await jetstream(nc).jetstreamManager();
  const schedule = await Schedule.create("beta", nc);
  for (const stream of [names.jobStream, names.runStream]) {
    assert.equal((await jsm.streams.info(stream)).config.num_replicas, 3);
  }
  assert.equal(
    (await jsm.streams.info(`KV_${names.bucket}`)).config.num_replicas,
    3,
  );

  const url = `http://127.0.0.1:${receiver.addr.port}/tick`;
  await schedule.set("tick", HttpJob("* * * * * *", { url }));
  // The last tick stored, asked of the stream's leader of the moment (a consumer
  // following the stream would have to notice the leader's death first).
  const lastTick = async () => {
    try {
      const stored = await jsm.streams.getMessage(names.jobStream, {
        last_by_subj: names.jobSubject("tick", 0),
      });
      return stored
        ? Date.parse(stored.json<{ scheduledAt: string }>().scheduledAt)
        : 0;
    } catch {
      return 0; // no leader yet
    }
  };
  const setAt = Date.now();
  await waitFor("3 ticks", async () => await lastTick() > setAt + 2000, 15_000);
  const leader = (await jsm.streams.info(names.jobStream)).cluster!.leader!;
  const killedAt = Date.now();
  await cluster.server(leader).stop();
  await waitFor(
    "ticks 8 s past the leader's death",
    async () => await lastTick() > killedAt + 8000,
    40_000,
  );
  // Paused, not removed: the worker skips the ticks of a removed definition, and it may
  // not have run them all yet (a delivery lost with the dead server comes back later).
  await schedule.pause("tick");

  // Read the whole stream again, from a new consumer on the new leader.
  const { messages } = (await jsm.streams.info(names.jobStream)).state;
  const stored = await followTicks(nc, "beta");
  await waitFor("the whole job stream", () => stored.ticks.length === messages);
  await stored.stop();
  const ticks = stored.of("tick");
  const unexecuted = () => ticks.filter((t) => !executions.includes(t));
  await waitFor(
    "an execution of every stored tick",
    () => unexecuted().length === 0,
    30_000,
  ).catch((err) => {
    const never = unexecuted().map((t) => new Date(t).toISOString());
    throw new Error(`${err.message}: ${never}\n${services[2].log}`);
  });
  await waitFor("every execution acknowledged", async () => {
    const info = await jsm.consumers.info(
      names.jobStream,
      names.workerConsumer,
    );
    return info.num_ack_pending === 0 && info.num_pending === 0;
  }, 30_000);

  const sorted = [...ticks].sort((a, b) => a - b);
  const expected = (sorted.at(-1)! - sorted[0]) / 1000 + 1;
  const duplicated = ticks.length - new Set(ticks).size;
  const executed = executions.filter((t) => ticks.includes(t));
  const figures = {
    leader,
    expected,
    stored: ticks.length,
    missing: expected - new Set(ticks).size,
    duplicated,
    executions: executions.length,
    duplicatedExecutions: executed.length - new Set(executed).size,
    strayExecutions: executions.length - executed.length,
  };
  console.log(JSON.stringify(figures));
  assertContiguous(ticks, 1000, "ticks");
  assert.ok(sorted[0] < killedAt && sorted.at(-1)! > killedAt + 8000);
  assert.equal(figures.duplicatedExecutions, 0);
  assert.equal(figures.strayExecutions, 0);

  for (const service of services) {
    assert.equal(await service.stop(), 0, service.log);
    assert.match(service.log, /"msg":"stopped"/);
    assert.doesNotMatch(service.log, /other replicas/);
    if (Deno.env.get("DEBUG_TESTS")) console.log(service.log);
  }
  await nc.close();
});
