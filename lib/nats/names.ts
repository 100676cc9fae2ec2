/**
 * NATS names of a namespace: the definitions bucket, the job stream and its subjects.
 *
 * | what | name |
 * | --- | --- |
 * | definitions (KV bucket) | `schedule-<ns>` |
 * | job stream | `schedule-<ns>-jobs`, subjects `schedule.<ns>.jobs.>` |
 * | one job's ticks | `schedule.<ns>.jobs.<key>.<index>` |
 * | run history stream | `schedule-<ns>-runs`, subjects `schedule.<ns>.runs.>` |
 * | one job's runs | `schedule.<ns>.runs.<key>.<index>` |
 * | workers' shared consumer | `workers` on the job stream |
 * | run state (KV bucket) | `schedule-<ns>-running`, key `<key>.<index>` |
 * | how far the nodes settled the ticks (KV bucket) | `schedule_<ns>_nodes`, key `settled` |
 * | status of nodes and workers | `schedule.<ns>.status` |
 * | the nodes' reports to each other | `schedule.<ns>.nodes` |
 *
 * @module
 */

import { InvalidKeyError, InvalidNamespaceError } from "../errors.ts";
import { quoted } from "../_util.ts";

const NAMESPACE = /^[A-Za-z0-9_-]{1,64}$/;
const KEY = /^[-/=.\w]{1,200}$/;

/**
 * Checks a namespace: 1 to 64 letters, digits, `_` or `-` (it names buckets and streams).
 *
 * @throws {InvalidNamespaceError} When it is not valid.
 *
 * @example
 * ```ts
 * import { validateNamespace } from "./names.ts";
 * validateNamespace("beta"); // ok
 * ```
 */
export function validateNamespace(namespace: string): void {
  if (typeof namespace !== "string" || !NAMESPACE.test(namespace)) {
    throw new InvalidNamespaceError(
      `invalid namespace ${
        JSON.stringify(namespace)
      }: use 1 to 64 letters, digits, "_" or "-"`,
    );
  }
}

/**
 * Checks a schedule key against the NATS KV key rules: 1 to 200 of letters, digits and
 * `- / _ = .`, not starting or ending with `.`, no empty token (`..`).
 *
 * @throws {InvalidKeyError} When it is not valid.
 *
 * @example
 * ```ts
 * import { validateKey } from "./names.ts";
 * validateKey("billing.nightly"); // ok
 * ```
 */
export function validateKey(key: string): void {
  if (
    typeof key !== "string" || !KEY.test(key) || key.startsWith(".") ||
    key.endsWith(".") ||
    key.includes("..")
  ) {
    throw new InvalidKeyError(
      `invalid key ${
        typeof key === "string" ? quoted(key) : `(a ${typeof key})`
      }: use 1 to 200 letters, digits or "-/_=.", ` +
        `not starting or ending with "." and without ".."`,
    );
  }
}

/**
 * The NATS names of one namespace.
 *
 * @example
 * ```ts
 * import { NamespaceNames } from "./names.ts";
 * const names = new NamespaceNames("beta");
 * names.jobSubject("test", 0); // "schedule.beta.jobs.test.0"
 * ```
 */
export class NamespaceNames {
  /** The KV bucket holding the definitions. */
  readonly bucket: string;
  /**
   * The KV bucket of the modes workers handle, by mode. Not `schedule-<ns>-...`: that is
   * the definitions bucket of another namespace.
   */
  readonly modesBucket: string;
  /** The KV bucket holding the run state of governed jobs (overlap, failures). */
  readonly runStateBucket: string;
  /**
   * The KV bucket of the nodes' record of how far they settled the ticks, read by a node
   * starting (named like {@link modesBucket}, for the same reason).
   */
  readonly nodesBucket: string;
  /** The stream holding the ticks (the job queue). */
  readonly jobStream: string;
  /** The wildcard subject of every tick of the namespace. */
  readonly jobSubjects: string;
  /** The stream holding the run history. */
  readonly runStream: string;
  /** The wildcard subject of every run record of the namespace. */
  readonly runSubjects: string;
  /** The durable consumer the workers of the namespace share. */
  readonly workerConsumer = "workers";
  /** The subject every node and worker of the namespace answers status requests on. */
  readonly statusSubject: string;
  /** The subject of the nodes' reports to each other (who owns which tick, how far stored). */
  readonly nodeSubject: string;
  /** The wildcard subject of every event of the namespace. */
  readonly eventSubjects: string;
  readonly #jobPrefix: string;
  readonly #eventPrefix: string;
  readonly #runPrefix: string;

  /**
   * The names of `namespace`.
   *
   * @throws {InvalidNamespaceError} When the namespace is not valid.
   */
  constructor(readonly namespace: string) {
    validateNamespace(namespace);
    this.bucket = `schedule-${namespace}`;
    this.modesBucket = `schedule_${namespace}_modes`;
    this.runStateBucket = `schedule-${namespace}-running`;
    this.nodesBucket = `schedule_${namespace}_nodes`;
    this.jobStream = `schedule-${namespace}-jobs`;
    this.#jobPrefix = `schedule.${namespace}.jobs.`;
    this.jobSubjects = `${this.#jobPrefix}>`;
    this.runStream = `schedule-${namespace}-runs`;
    this.#runPrefix = `schedule.${namespace}.runs.`;
    this.runSubjects = `${this.#runPrefix}>`;
    this.statusSubject = `schedule.${namespace}.status`;
    this.nodeSubject = `schedule.${namespace}.nodes`;
    this.#eventPrefix = `schedule.${namespace}.events.`;
    this.eventSubjects = `${this.#eventPrefix}>`;
  }

  /** The subject of an event of `type`, of `key` when it concerns one. */
  eventSubject(type: string, key?: string): string {
    return key === undefined
      ? `${this.#eventPrefix}${type}`
      : `${this.#eventPrefix}${type}.${key}`;
  }

  /** The subject of the run records of job `index` of `key`. */
  runSubject(key: string, index: number): string {
    return `${this.#runPrefix}${key}.${index}`;
  }

  /** The wildcard subject of the run records of every job of `key`. */
  runSubjectsOf(key: string): string {
    return `${this.#runPrefix}${key}.*`;
  }

  /** The subject of the ticks of job `index` of `key`. */
  jobSubject(key: string, index: number): string {
    return `${this.#jobPrefix}${key}.${index}`;
  }

  /**
   * The key and job index a job subject of this namespace names, or `null` when it is not
   * one.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { NamespaceNames } from "./names.ts";
   * const names = new NamespaceNames("beta");
   * assert.deepEqual(names.jobOf("schedule.beta.jobs.a.b.2"), { key: "a.b", index: 2 });
   * assert.equal(names.jobOf("schedule.gamma.jobs.a.0"), null);
   * assert.equal(names.jobOf("schedule.beta.jobs.a.x"), null);
   * ```
   */
  jobOf(subject: string): { key: string; index: number } | null {
    if (!subject.startsWith(this.#jobPrefix)) return null;
    const dot = subject.lastIndexOf(".");
    const index = Number(subject.slice(dot + 1));
    const key = subject.slice(this.#jobPrefix.length, dot);
    return dot < this.#jobPrefix.length || !Number.isInteger(index) || index < 0
      ? null
      : { key, index };
  }

  /**
   * The `Nats-Msg-Id` of a tick: the same on every node, so the stream keeps one copy.
   */
  tickId(key: string, index: number, scheduledAt: number): string {
    return `${this.namespace}.${key}.${index}.${scheduledAt}`;
  }
}
