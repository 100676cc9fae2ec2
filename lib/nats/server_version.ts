/**
 * The nats-server versions this project runs against: 2.10 and later.
 *
 * @module
 */

import { UnsupportedServerError } from "../errors.ts";

/** The oldest nats-server line this project supports. */
export const MIN_NATS_SERVER = "2.10";

/**
 * Orders versions such as `2.9.10` and `2.10.1` numerically.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareVersions } from "./server_version.ts";
 * assert.deepEqual(["2.10.1", "2.9.10", "2.10"].sort(compareVersions), ["2.9.10", "2.10", "2.10.1"]);
 * ```
 */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? -1) - (pb[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Refuses a server older than {@link MIN_NATS_SERVER}, by the version it announces
 * (`2.10.27`, `2.14.0-RC.1`). A version that cannot be read as one is let through: only
 * one known to be older is refused.
 *
 * @throws {UnsupportedServerError} When `version` is older than 2.10.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertSupportedServer } from "./server_version.ts";
 * assertSupportedServer("2.14.0-RC.1");
 * assert.throws(() => assertSupportedServer("2.9.25"), /nats-server 2\.9\.25 is older than 2\.10/);
 * ```
 */
export function assertSupportedServer(version: string | undefined): void {
  const release = /^\d+\.\d+/.exec(version ?? "")?.[0];
  if (release === undefined || compareVersions(release, MIN_NATS_SERVER) >= 0) {
    return;
  }
  throw new UnsupportedServerError(
    `nats-server ${version} is older than ${MIN_NATS_SERVER}, the oldest this version of schedule runs against: upgrade the server`,
  );
}
