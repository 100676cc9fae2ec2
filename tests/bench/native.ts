/**
 * The same loads on nats-server's native message schedules (ADR-51, nats-server 2.14+ for
 * cron and `@every`): a stream with `allow_msg_schedules`, one schedule message per
 * schedule on `native.sched.<i>` (headers `Nats-Schedule` and `Nats-Schedule-Target:
 * native.fire.<i>`), and the server storing each fire on its target subject with its own
 * timestamp and the headers `Nats-Scheduler` (the schedule's subject) and
 * `Nats-Schedule-Next` (the next fire time, RFC 3339, whole seconds).
 *
 * A fire's scheduled time is `Nats-Schedule-Next` minus the schedule's period: the server
 * computes the next fire from the one it fires, unless that is already past, when it skips
 * ahead and fires once. Such a skip shows as missing fires (and the late fire's lag is
 * understated, its scheduled time being taken as about when it fired).
 *
 * @module
 */

import { headers, type NatsConnection } from "@nats-io/nats-core";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import {
  atLeast,
  type Fire,
  pipelined,
  readStream,
  serverVersion,
} from "./_util.ts";

export const NATIVE_STREAM = "bench-native";
const SCHEDULES = "native.sched";
const FIRES = "native.fire";

/** The stream of native schedules on one server. */
export class NativeSchedules {
  private constructor(readonly nc: NatsConnection) {}

  /**
   * Creates the stream, or says why native schedules cannot run on this server (older
   * than 2.14, or the stream refused).
   */
  static async open(nc: NatsConnection): Promise<NativeSchedules | string> {
    const version = serverVersion(nc);
    if (!atLeast(version, 2, 14)) {
      return `nats-server ${
        version.join(".")
      } has no cron or @every message schedules (2.14+)`;
    }
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({
        name: NATIVE_STREAM,
        subjects: [`${SCHEDULES}.>`, `${FIRES}.>`],
        allow_msg_schedules: true,
      });
      const info = await jsm.streams.info(NATIVE_STREAM);
      if (!info.config.allow_msg_schedules) {
        return `nats-server ${version.join(".")} ignored allow_msg_schedules`;
      }
    } catch (err) {
      return `the scheduled stream was refused: ${(err as Error).message}`;
    }
    return new NativeSchedules(nc);
  }

  /** Publishes `count` schedules, pipelined; resolves with the seconds it took. */
  async add(count: number, specOf: (i: number) => string): Promise<number> {
    const started = performance.now();
    const js = jetstream(this.nc);
    const body = new TextEncoder().encode('{"url":"http://127.0.0.1:9/hook"}');
    await pipelined(count, (i) => {
      const h = headers();
      h.set("Nats-Schedule", specOf(i));
      h.set("Nats-Schedule-Target", `${FIRES}.${i}`);
      return js.publish(`${SCHEDULES}.${i}`, body, { headers: h });
    });
    return (performance.now() - started) / 1000;
  }

  /** Fires stored so far, while the stream holds `schedules` schedule messages. */
  async fireCount(schedules: number): Promise<number> {
    const jsm = await jetstreamManager(this.nc);
    const info = await jsm.streams.info(NATIVE_STREAM);
    return info.state.messages - schedules;
  }

  /** Removes every schedule message: nothing fires any more. */
  async stop(): Promise<void> {
    const jsm = await jetstreamManager(this.nc);
    await jsm.streams.purge(NATIVE_STREAM, { filter: `${SCHEDULES}.>` });
  }

  /** The fires stored, each scheduled at `Nats-Schedule-Next` minus `period` ms. */
  async fires(period: number): Promise<Fire[]> {
    const fires: Fire[] = [];
    await readStream(this.nc, NATIVE_STREAM, (m) => {
      fires.push({
        key: m.headers?.get("Nats-Scheduler") ?? m.subject,
        scheduledAt: Date.parse(m.headers?.get("Nats-Schedule-Next") ?? "") -
          period,
        storedAt: m.info.timestampNanos / 1e6,
      });
    }, `${FIRES}.>`);
    return fires;
  }
}
