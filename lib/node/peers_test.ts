import assert from "node:assert/strict";
import type { NatsConnection } from "@nats-io/nats-core";
import { NatsServer } from "../../tests/nats_server.ts";
import { recordingLogger, waitFor } from "../../tests/helpers.ts";
import { NamespaceNames } from "../nats/names.ts";
import { FRESH_FOR, HEARTBEAT, Peers, type Progress } from "./peers.ts";
import type { Scheduled } from "./types.ts";
import type { Applied } from "./watch.ts";

const names = new NamespaceNames("beta");

/** A node's side of the peers: its progress and the bucket it applied, set by the test. */
function peer(nc: NatsConnection, name: string) {
  const progress: Progress & {
    applied: Applied;
    acking: boolean;
    member: boolean;
    behind: number;
  } = {
    sent: 0,
    stored: 0,
    firing: 0,
    applied: { bucket: "b1", revision: 10 },
    acked: 0,
    // Each look at the progress finds one more acknowledgement, unless set false.
    acking: true,
    // False: the node reports no more, as when it died.
    member: true,
    // How far its clock is behind: its reports come that late.
    behind: 0,
  };
  const log = recordingLogger();
  const changes: string[][] = [];
  const peers: Peers = new Peers({
    nc,
    subject: names.nodeSubject,
    name,
    clock: { now: () => Date.now() - progress.behind },
    isMember: () => progress.member,
    progress: () => ({
      ...progress,
      acked: progress.acking ? progress.acked++ : progress.acked,
    }),
    applied: () => progress.applied,
    onChange: () => changes.push(peers.members),
    log,
  });
  return { peers, progress, log, changes };
}

/** The tick of `key` sent at `firesAt`, loaded at bucket revision 5. */
const tick = (key: string, firesAt: number) =>
  ({
    key,
    firesAt,
    bucketRevision: 5,
    rule: { window: 60_000 },
  }) as unknown as Scheduled;

/** A key that `p` owns. */
const ownedBy = (p: ReturnType<typeof peer>) =>
  Array.from({ length: 100 }, (_, i) => `k${i}`)
    .find((k) => p.peers.owns(tick(k, 0)))!;

async function withPeers(
  fn: (
    a: ReturnType<typeof peer>,
    b: ReturnType<typeof peer>,
    nc: NatsConnection,
  ) => void | Promise<void>,
): Promise<void> {
  await using server = await NatsServer.start();
  const ncs = [await server.connect(), await server.connect()];
  const a = peer(ncs[0], "a"), b = peer(ncs[1], "b");
  try {
    await waitFor(
      "both to count both",
      () => a.peers.members.length === 2 && b.peers.members.length === 2,
    );
    await fn(a, b, ncs[0]);
  } finally {
    a.peers.stop();
    b.peers.stop();
    for (const nc of ncs) await nc.close();
  }
}

Deno.test("two peers agree on one owner per key, and share the keys", () =>
  withPeers((a, b) => {
    const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
    const owned = keys.map((key) =>
      [a, b].filter((p) => p.peers.owns(tick(key, 0))).length
    );
    assert.deepEqual(new Set(owned), new Set([1]), "exactly one owner each");
    const mine = keys.filter((key) => a.peers.owns(tick(key, 0))).length;
    assert.ok(mine > 60 && mine < 140, `a owns ${mine} of 200`);
    assert.deepEqual(
      a.changes.at(-1),
      a.peers.members,
      "told of each change, once its owners hold",
    );
  }));

Deno.test("a backup skips what its owner's report shows stored, waits while sent, else sends", () =>
  withPeers(async (a, b) => {
    const key = ownedBy(b);
    // After both counted both: a tick of this view.
    const at = Date.now() + 5000;
    const now = at + 500;
    b.progress.sent = b.progress.stored = at;
    await waitFor(
      "b's report",
      () => a.peers.verdict(tick(key, at), now) === "skip",
    );
    b.progress.stored = at - 1; // sent, not yet acknowledged
    await waitFor(
      "b's next report",
      () => typeof a.peers.verdict(tick(key, at), now) === "number",
    );
    assert.equal(a.peers.verdict(tick(key, at), now), now + 500, "look again");
    // Each report of b shows more acknowledged: b is storing (a herd).
    assert.equal(
      a.peers.verdict(tick(key, at), at + 3000),
      at + 6000,
      "storing: past WAIT_FOR",
    );
    assert.equal(
      a.peers.verdict(tick(key, at), at + 29_000),
      at + 30_000,
      "the last look at half the job's window",
    );
    assert.equal(a.peers.verdict(tick(key, at), at + 30_000), "send");
    b.progress.acking = false; // the stream acknowledges b no more
    await waitFor(
      "b to have stored nothing for STORING_FOR",
      () => a.peers.verdict(tick(key, at), at + 3000) === "send",
    );
    assert.equal(
      a.peers.verdict(tick(key, at), at + 1600),
      at + 3000,
      "the last look at WAIT_FOR, not past it",
    );
    b.progress.acking = true;
    b.progress.sent = at - 1; // not even sent
    await waitFor(
      "b's next report",
      () => a.peers.verdict(tick(key, at), now) === "send",
    );
    b.progress.firing = at; // being sent, in the slices of a herd begun at `at`
    await waitFor(
      "b's next report",
      () => a.peers.verdict(tick(key, at), now) === now + 500,
    );
    b.progress.firing = 0;
    b.progress.sent = b.progress.stored = at;
    b.progress.applied = { bucket: "b1", revision: 4 }; // older than the definition
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(a.peers.verdict(tick(key, at), now), "send");
    b.progress.applied = { bucket: "b2", revision: 10 }; // another bucket
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(a.peers.verdict(tick(key, at), now), "send");
    const ownKey = ownedBy(a);
    assert.equal(a.peers.verdict(tick(ownKey, at), now), "send", "its own key");
  }));

Deno.test("an owner waiting on the stream reports on though nothing is acknowledged: its backup waits", () =>
  withPeers(async (a, b) => {
    const key = ownedBy(b);
    const at = Date.now() + 5000;
    const now = at + 500;
    b.progress.acking = false; // the server is slow: no acknowledgement comes in
    b.progress.sent = at;
    b.progress.stored = at - 1;
    await waitFor(
      "b's report",
      () => typeof a.peers.verdict(tick(key, at), now) === "number",
    );
    // Past FRESH_FOR and HEARTBEAT: reporting only on acknowledgements, b went quiet for
    // a second at a time, and a took it for dead half of that time (and sent).
    const end = performance.now() + HEARTBEAT + FRESH_FOR;
    while (performance.now() < end) {
      const verdict = a.peers.verdict(tick(key, at), now);
      assert.equal(typeof verdict, "number", `a waits on b, not ${verdict}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }));

Deno.test("a backup waits on an owner whose reports come late for that much longer", () =>
  withPeers(async (a, b) => {
    const key = ownedBy(b);
    const at = Date.now() + 5000;
    const now = at + 500;
    b.progress.sent = at;
    b.progress.stored = at - 1;
    b.progress.behind = 2 * FRESH_FOR; // each report of b is heard that late
    await waitFor(
      "b's late report",
      () => typeof a.peers.verdict(tick(key, at), now) === "number",
    );
    b.progress.member = false; // b reports no more
    await new Promise((resolve) => setTimeout(resolve, 1.5 * FRESH_FOR));
    assert.equal(
      typeof a.peers.verdict(tick(key, at), now),
      "number",
      "past FRESH_FOR, within FRESH_FOR and how late b's reports came",
    );
    await waitFor(
      "a to take b for gone",
      () => a.peers.verdict(tick(key, at), now) === "send",
    );
    assert.equal(a.peers.members.length, 2, "b taken for gone before it left");
  }));

Deno.test("a tick due before the owner's members changed is sent by the backup", () =>
  withPeers(async (a, b) => {
    const key = ownedBy(b);
    b.progress.sent = b.progress.stored = Date.now() + 600_000;
    // A tick due now, looked at afresh: a view that changes meanwhile (a report late
    // under load makes a peer leave and join again) covers only the ticks after it.
    let now = 0;
    await waitFor("b's report", () => {
      now = Date.now();
      return a.peers.verdict(tick(key, now), now) === "skip";
    });
    // Both started less than a few seconds ago: a tick due before is not covered.
    assert.equal(a.peers.verdict(tick(key, now - 60_000), now), "send");
  }));

Deno.test("a peer that stops leaves at once; a stray message is ignored with one warning", () =>
  withPeers(async (a, b, nc) => {
    nc.publish(names.nodeSubject, "not a report");
    nc.publish(names.nodeSubject, JSON.stringify({ id: 3 }));
    await waitFor(
      "the warning",
      () =>
        b.log.lines.some((l) =>
          l.msg === "ignored a message that is not a node report"
        ),
    );
    b.peers.stop();
    await waitFor("a to count one", () => a.peers.members.length === 1);
    assert.equal(
      b.log.lines.filter((l) =>
        l.msg === "ignored a message that is not a node report"
      ).length,
      1,
    );
  }));
