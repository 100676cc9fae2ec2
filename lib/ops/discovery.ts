/**
 * Discovery: every node and worker answers status requests on its namespace's status
 * subject, and registers as a NATS micro service (`nats micro ls` lists them).
 *
 * @module
 */

import { errors, type NatsConnection } from "@nats-io/nats-core";
import { Svcm } from "@nats-io/services";
import { isRecord, jsonOf } from "../_util.ts";
import { NamespaceNames } from "../nats/names.ts";
import type { Logger } from "./log.ts";
import { VERSION } from "./version.ts";
import type { Role } from "../types.ts";

/**
 * What a node or worker says about itself.
 *
 * @example
 * ```ts
 * import type { ProcessStatus } from "./discovery.ts";
 * const print = (s: ProcessStatus) => console.log(s.role, s.id, s.uptime);
 * ```
 */
export interface ProcessStatus {
  /** The host or pod name and a short random suffix: `web-7f9c-x3k9q`. */
  id: string;
  /** `node` or `worker`. */
  role: Role;
  /** The package version. */
  version: string;
  /** The namespace served. */
  namespace: string;
  /** Seconds since start. */
  uptime: number;
  /** Role-specific details: definitions and last tick for a node, counters for a worker. */
  [detail: string]: unknown;
}

/**
 * Registers a node or worker and answers status requests until `stop`.
 *
 * @example
 * ```ts ignore
 * const announced = await announce(nc, "beta", "node", () => ({ definitions: 3 }));
 * await announced.stop();
 * ```
 */
export async function announce(
  nc: NatsConnection,
  namespace: string,
  role: Role,
  details: () => Record<string, unknown>,
): Promise<{ id: string; stop(): Promise<void> }> {
  const names = new NamespaceNames(namespace);
  const startedAt = performance.now();
  // @nats-io/services pins a pre-release nats-core whose types differ from ours only
  // nominally; the connection object is the same protocol client.
  const svcm = new Svcm(nc as unknown as ConstructorParameters<typeof Svcm>[0]);
  const service = await svcm.add({
    name: `schedule-${role}`,
    version: VERSION,
    description: `schedule ${role} of namespace ${namespace}`,
    metadata: { namespace, role },
    queue: "",
  });
  const id = `${hostName() ?? role}-${
    service.info().id.slice(-5).toLowerCase()
  }`;
  service.addEndpoint("status", {
    subject: names.statusSubject,
    queue: "",
    handler: (_err, msg) => {
      const status: ProcessStatus = {
        id,
        role,
        version: VERSION,
        namespace,
        uptime: Math.round((performance.now() - startedAt) / 1000),
        ...details(),
      };
      msg.respond(JSON.stringify(status));
    },
  });
  return { id, stop: async () => void await service.stop() };
}

/**
 * The host or pod name: `HOSTNAME` (set in every Kubernetes pod), else the system's name
 * when the process may read it.
 */
function hostName(): string | undefined {
  const fromEnv = Deno.env.get("HOSTNAME");
  if (fromEnv) return fromEnv;
  const granted =
    Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state ===
      "granted";
  return granted ? Deno.hostname() : undefined;
}

/** Options of {@link listProcesses}. */
export interface ListOptions {
  /** The longest wait in all, in ms (default 1000). */
  wait?: number;
  /** How long without an answer ends the wait, in ms (default 100). */
  stall?: number;
  /** Where a reply that is not a status is logged; by default it is only skipped. */
  log?: Logger;
}

/**
 * Asks every node and worker of a namespace for its status. Answers are collected until
 * none has come for `stall` ms (at most `wait` ms in all); none at all is an empty list.
 * A reply that is not a status (anyone may answer on the subject) is skipped, and logged
 * to `log`.
 *
 * @example
 * ```ts ignore
 * for (const s of await listProcesses(nc, "beta")) console.log(s.role, s.id);
 * ```
 */
export async function listProcesses(
  nc: NatsConnection,
  namespace: string,
  { wait = 1000, stall = 100, log }: ListOptions = {},
): Promise<ProcessStatus[]> {
  const names = new NamespaceNames(namespace);
  const statuses: ProcessStatus[] = [];
  try {
    const replies = await nc.requestMany(names.statusSubject, "", {
      strategy: "stall",
      stall,
      maxWait: wait,
    });
    for await (const reply of replies) {
      const status = jsonOf(reply.data);
      if (isProcessStatus(status)) statuses.push(status);
      else {
        log?.warn("a discovery reply that is not a status was skipped", {
          namespace,
          bytes: reply.data.length,
        });
      }
    }
  } catch (err) {
    if (!(err instanceof errors.NoRespondersError)) throw err;
  }
  return statuses.sort((a, b) =>
    a.role.localeCompare(b.role) || a.id.localeCompare(b.id)
  );
}

const ROLES = new Set<unknown>(["node", "worker"] satisfies Role[]);

/**
 * Whether `value` is a status as {@link announce} answers: an object whose `id`,
 * `version` and `namespace` are text, `role` a {@link Role} and `uptime` a number of
 * seconds (its details are shown as they are).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isProcessStatus } from "./discovery.ts";
 * const status = { id: "web-x3k9q", role: "node", version: "1.0.0", namespace: "beta", uptime: 5 };
 * assert.equal(isProcessStatus(status), true);
 * assert.equal(isProcessStatus({ ...status, id: 7 }), false);
 * assert.equal(isProcessStatus(null), false);
 * ```
 */
export function isProcessStatus(value: unknown): value is ProcessStatus {
  if (!isRecord(value)) return false;
  const { id, role, version, namespace, uptime } = value;
  return typeof id === "string" && ROLES.has(role) &&
    typeof version === "string" && typeof namespace === "string" &&
    Number.isFinite(uptime) && (uptime as number) >= 0;
}
