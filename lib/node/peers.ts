/**
 * The nodes of a namespace as one node sees them, and the ownership of ticks among them.
 *
 * Each node that is a member (its definitions loaded, its clock within bounds) publishes
 * a {@link Report} on `schedule.<ns>.nodes` every {@link REPORT_EVERY} ms while it stores
 * ticks (it has sent ticks not yet acknowledged, is sending a herd, or was acknowledged
 * since its last report), else every {@link HEARTBEAT} ms, and listens to the others'.
 * Its members are itself and the nodes heard from within {@link MEMBER_FOR} ms; the
 * owner of a key is chosen among them by rendezvous hashing (`owner.ts`). The owner
 * sends a tick on time; every other node is its backup and, at `standbyDelay` after the
 * tick, reads the owner's last report instead of publishing a copy: it skips the tick
 * when the report shows it stored, and sends it in every other case (no report, another
 * view, an older definition), where the stream's deduplication keeps one copy. So in
 * steady state the server hears each tick once, and no tick depends on a node that
 * stopped answering.
 *
 * @module
 */

import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import type { Logger } from "../ops/log.ts";
import { fnv1a32 } from "../spec/jitter.ts";
import type { Clock } from "./clock.ts";
import { type Member, member, ownerOf } from "./owner.ts";
import { decodeReport, encodeReport, type Report } from "./report.ts";
import type { BackupVerdict } from "./timer_queue.ts";
import type { Scheduled } from "./types.ts";
import type { Applied } from "./watch.ts";

/** How often a node reports while it stores ticks, in ms. */
export const REPORT_EVERY = 100;

/** How often a node reports when it has stored nothing since its last report, in ms. */
export const HEARTBEAT = 1000;

/** How long a node counts as a member after its last report, in ms. */
export const MEMBER_FOR = 3000;

/**
 * How soon a backup looks again at a tick its owner sent but has not yet stored, in ms: at
 * least; then as long as the tick is old, so that a slow owner (a burst of 50,000 ticks
 * takes it a second or two) costs each tick a few looks: with the default delays at 0.5,
 * 1, 2 and, the last, {@link WAIT_FOR} (3 s).
 */
export const LOOK_AGAIN = 100;

/**
 * How long after a tick its backup waits on an owner that sent it, at most, in ms, unless
 * the owner is storing (see {@link STORING_FOR}): past it, the backup sends (a tick stuck
 * at an owner the stream no longer acknowledges does not hold the others back for long).
 */
export const WAIT_FOR = 3000;

/**
 * How recently an owner's acknowledged publishes (`Report.acked`) must have grown for it
 * to count as storing, in ms. A backup waits on a storing owner past {@link WAIT_FOR}, up
 * to half the job's window: a herd of 200,000 ticks takes a slow server longer than 3 s
 * to store, and copies of it would double the server's work.
 */
export const STORING_FOR = 1000;

/**
 * How long after an owner's last report was heard its backups still wait on it, in ms,
 * plus how late that report came: a node's reports leave on the connection that carries
 * its ticks, and in a herd of 200,000 on a slow server they reached the backups in bursts,
 * up to 1.2 s after they were made.
 */
export const FRESH_FOR = 5 * REPORT_EVERY;

/** How far this node has sent and stored the ticks it owns. */
export interface Progress {
  sent: number;
  stored: number;
  /** When the firing whose slices are under way began (0 between firings). */
  firing: number;
  /** How many of its publishes were acknowledged so far: a new report is worth it. */
  acked: number;
}

/** What {@link Peers} needs. */
export interface PeersOptions {
  nc: NatsConnection;
  /** The subject of the reports. */
  subject: string;
  /** The node's name; its member id adds a random suffix. */
  name: string;
  /** The server's clock. */
  clock: Pick<Clock, "now">;
  /** Whether this node counts itself as a member (loaded, and its clock within bounds). */
  isMember: () => boolean;
  /** This node's progress, for its report. */
  progress: () => Progress;
  /** How far this node has applied the definitions bucket. */
  applied: () => Applied;
  /** Called when the members change, once the new owners hold (default: nothing). */
  onChange?: () => void;
  log: Logger;
}

/**
 * A peer's last report, when it was heard and when its acknowledged publishes last grew
 * (monotonic ms), and how late it came (ms).
 */
interface Heard {
  report: Report;
  at: number;
  storedAt: number;
  late: number;
}

/**
 * The members of the namespace as this node sees them.
 *
 * @example
 * ```ts ignore
 * const peers = new Peers({ nc, subject, name, clock, isMember, progress, applied, log });
 * if (peers.owns(item)) send(item);
 * else if (peers.verdict(item, now) === "send") send(item);
 * await peers.stop();
 * ```
 */
export class Peers {
  /** This node's member id. */
  readonly id: string;
  readonly #options: PeersOptions;
  readonly #heard = new Map<string, Heard>();
  readonly #subscription: Subscription;
  readonly #timer: ReturnType<typeof setInterval>;
  #members: Member[] = [];
  /** The members' ids, joined: the view, before hashing. */
  #ids = "";
  #view = 0;
  #since = 0;
  #invalid = 0;
  /** When this node last reported (monotonic ms), and its `acked` then. */
  #reported = { at: -Infinity, acked: -1 };

  constructor(options: PeersOptions) {
    this.#options = options;
    this.id = `${options.name}:${crypto.randomUUID().slice(0, 8)}`;
    this.#subscription = options.nc.subscribe(options.subject, {
      callback: (_err, msg) => this.#hear(msg.data),
    });
    this.#timer = setInterval(() => this.#tick(), REPORT_EVERY);
  }

  /** The ids of the members, in order. */
  get members(): string[] {
    return this.#members.map((m) => m.id);
  }

  /** Whether this node owns the ticks of `item`. */
  owns(item: Scheduled): boolean {
    return ownerOf(item.key, this.#members) === this.id;
  }

  /**
   * What this node, a backup of the tick of `item`, does with it at `now`: skip it when its
   * owner's report shows it stored; look again while the owner, still reporting (see
   * {@link FRESH_FOR}), has sent it and waits for the acknowledgement, or is sending it in
   * a herd's slices (up to {@link WAIT_FOR} after the tick, or while the owner is storing,
   * and within half the job's window); else send it.
   */
  verdict(item: Scheduled, now: number): BackupVerdict {
    const owner = ownerOf(item.key, this.#members);
    const heard = owner === undefined ? undefined : this.#heard.get(owner);
    if (!heard || !this.#agrees(heard.report, item)) return "send";
    const { firesAt } = item;
    const { stored, sent, firing = 0 } = heard.report;
    if (stored >= firesAt) return "skip";
    const at = performance.now();
    const storing = at - heard.storedAt < STORING_FOR;
    // The last look is at the limit itself, however the looks before it fell.
    const limit = firesAt +
      Math.min(storing ? Infinity : WAIT_FOR, item.rule.window / 2);
    const waiting = (sent >= firesAt || firing >= firesAt) &&
      at - heard.at < FRESH_FOR + heard.late && now < limit;
    return waiting
      ? Math.min(now + Math.max(LOOK_AGAIN, now - firesAt), limit)
      : "send";
  }

  /**
   * Reports at once, as a member: when this node begins to send a herd in slices, so that
   * its backups know before they look (see `Report.firing`).
   */
  report(): void {
    if (!this.#options.isMember()) return;
    this.#report(this.#options.progress(), performance.now());
  }

  /** Stops reporting and listening; the last report says this node left. */
  stop(): void {
    clearInterval(this.#timer);
    this.#subscription.unsubscribe();
    if (this.#options.isMember()) this.#publish(this.#options.progress(), true);
  }

  /**
   * Whether `report` speaks of the tick of `item` as this node sees it: the same members
   * since before the tick was due, and the definition applied from the same bucket.
   */
  #agrees(report: Report, item: Scheduled): boolean {
    const applied = this.#options.applied();
    return report.view === this.#view && report.since < item.firesAt &&
      report.bucket === applied.bucket &&
      report.revision >= item.bucketRevision;
  }

  #hear(data: Uint8Array): void {
    const report = decodeReport(data);
    if (report === null) {
      if (this.#invalid++ === 0) {
        this.#options.log.warn("ignored a message that is not a node report", {
          subject: this.#options.subject,
        });
      }
      return;
    }
    if (report.id === this.id) return;
    const before = this.#heard.get(report.id);
    const at = performance.now();
    if (report.left) this.#heard.delete(report.id);
    else {
      const grew = (report.acked ?? 0) > (before?.report.acked ?? Infinity);
      const storedAt = grew ? at : before?.storedAt ?? -Infinity;
      const made = report.at ?? Infinity;
      const late = Math.max(0, this.#options.clock.now() - made);
      this.#heard.set(report.id, { report, at, storedAt, late });
    }
    if (!before || report.left) this.#refresh();
  }

  /** Forgets silent peers, updates the view, and reports. */
  #tick(): void {
    const now = performance.now();
    for (const [id, heard] of this.#heard) {
      if (now - heard.at > MEMBER_FOR) this.#heard.delete(id);
    }
    this.#refresh();
    if (!this.#options.isMember()) return;
    const progress = this.#options.progress();
    const { acked, sent, stored, firing } = progress;
    // While it waits on the stream, it reports though no acknowledgement came: its
    // backups take a report older than FRESH_FOR for a dead owner, and a slow server can
    // leave a herd unacknowledged for longer than that.
    const waiting = stored < sent || firing > 0;
    if (
      waiting || acked !== this.#reported.acked ||
      now - this.#reported.at >= HEARTBEAT
    ) this.#report(progress, now);
  }

  /** Publishes `progress` as this node's report, remembering when (monotonic ms). */
  #report(progress: Progress, at: number): void {
    this.#reported = { at, acked: progress.acked };
    this.#publish(progress, false);
  }

  /** The members now; a new view when they changed. */
  #refresh(): void {
    const ids = [...this.#heard.keys()];
    if (this.#options.isMember()) ids.push(this.id);
    const joined = ids.sort().join(",");
    if (joined === this.#ids) return;
    this.#ids = joined;
    this.#view = fnv1a32(joined);
    this.#since = this.#options.clock.now();
    this.#members = ids.map(member);
    this.#options.log.info("nodes changed", { members: ids });
    this.#options.onChange?.();
  }

  #publish({ sent, stored, firing, acked }: Progress, left: boolean): void {
    const applied = this.#options.applied();
    const report: Report = {
      id: this.id,
      view: this.#view,
      since: this.#since,
      sent: Math.max(0, sent),
      stored: Math.max(0, stored),
      acked,
      at: this.#options.clock.now(),
      bucket: applied.bucket,
      revision: applied.revision,
    };
    if (firing > 0) report.firing = firing;
    if (left) report.left = true;
    try {
      this.#options.nc.publish(this.#options.subject, encodeReport(report));
    } catch (err) {
      this.#options.log.debug("could not publish the node report", {
        error: (err as Error).message,
      });
    }
  }
}
