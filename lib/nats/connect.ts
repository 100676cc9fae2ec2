/**
 * Connecting a node or worker to NATS with the configured hosts, credentials and TLS.
 *
 * @module
 */

import {
  AuthorizationError,
  credsAuthenticator,
  nkeyAuthenticator,
  nkeys,
  UserAuthenticationExpiredError,
} from "@nats-io/nats-core";
import {
  connect,
  type ConnectionOptions,
  type NatsConnection,
} from "@nats-io/transport-node";
import type { NatsConfig } from "../ops/config.ts";
import { ConfigError } from "../errors.ts";
import type { Logger } from "../ops/log.ts";
import { redactHost, redactMessage } from "../ops/redact.ts";
import { wait } from "../_util.ts";

/**
 * Builds the connection options of a config: hosts, one authentication method, TLS
 * files, and reconnection forever. Reads the credentials and TLS files now, and checks
 * the nkey seed and the credentials, so that what can never work stops the process at
 * start instead of failing every connection attempt as if NATS were down.
 *
 * @throws {ConfigError} When a file cannot be read, or the nkey seed or the credentials
 * file is not valid (the message holds no secret).
 *
 * @example
 * ```ts
 * import { connectionOptions } from "./connect.ts";
 * const options = await connectionOptions({ hosts: ["127.0.0.1:4222"], token: "t" }, "schedule");
 * ```
 */
export async function connectionOptions(
  nats: NatsConfig,
  name: string,
): Promise<ConnectionOptions> {
  const options: ConnectionOptions = {
    servers: nats.hosts,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
  };
  if (nats.nkey !== undefined) {
    const seed = new TextEncoder().encode(nats.nkey);
    valid("nats.nkey", "is not a valid nkey seed", () => nkeys.fromSeed(seed));
    options.authenticator = nkeyAuthenticator(seed);
  }
  if (nats.creds !== undefined) {
    const authenticator = credsAuthenticator(
      await readConfigured("nats.creds", nats.creds),
    );
    valid(
      "nats.creds",
      `${nats.creds} is not a NATS credentials file (a JWT and an nkey seed)`,
      () => authenticator("nonce"),
    );
    options.authenticator = authenticator;
  }
  if (nats.token !== undefined) options.token = nats.token;
  if (nats.user !== undefined) {
    Object.assign(options, { user: nats.user, pass: nats.password });
  }
  if (nats.tls) {
    for (const field of ["ca", "cert", "key"] as const) {
      const path = nats.tls[field];
      if (path !== undefined) await readConfigured(`nats.tls.${field}`, path);
    }
    options.tls = {
      ...(nats.tls.ca === undefined ? {} : { caFile: nats.tls.ca }),
      ...(nats.tls.cert === undefined
        ? {}
        : { certFile: nats.tls.cert, keyFile: nats.tls.key }),
    };
  }
  return options;
}

/** The file at `path`, configured as `field`. */
async function readConfigured(
  field: string,
  path: string,
): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    throw new ConfigError(
      `${field}: cannot read ${path}: ${(err as Error).message}`,
    );
  }
}

/** Throws a `ConfigError` naming `field` when `check` throws: its message may quote the secret. */
function valid(field: string, problem: string, check: () => unknown): void {
  try {
    check();
  } catch {
    throw new ConfigError(`${field}: ${problem}`);
  }
}

/** How long a node or worker waits before it tries NATS again, in ms. */
export const RETRY_DELAY = 2000;

/**
 * Connects, retrying every 2 s while no server can be reached, until `stop` is aborted
 * (an attempt under way is then abandoned, and its connection closed if it comes).
 * A server that refuses the credentials ends the attempt at once: retrying would not help.
 *
 * @returns The connection, or `null` when stopped first.
 * @throws {ConfigError} When the credentials are refused (the message holds no secret).
 */
export async function connectWithRetry(
  options: ConnectionOptions,
  log: Logger,
  stop: AbortSignal,
): Promise<NatsConnection | null> {
  const stopped = wait(Infinity, stop).then(() => null);
  const hosts = [options.servers ?? []].flat();
  for (let attempt = 1; !stop.aborted; attempt++) {
    const connecting = connect(options);
    try {
      const nc = await Promise.race([connecting, stopped]);
      if (nc === null) {
        connecting.then((late) => late.close(), () => {});
      }
      return nc;
    } catch (err) {
      if (
        err instanceof AuthorizationError ||
        err instanceof UserAuthenticationExpiredError
      ) {
        throw new ConfigError(
          `NATS refused the configured credentials (${
            redactMessage(err.message, hosts)
          }): check nats.nkey, ` +
            `nats.creds, nats.token or nats.user/nats.password`,
        );
      }
      log.warn("cannot reach NATS; retrying", {
        attempt,
        servers: hosts.map(redactHost),
        error: redactMessage((err as Error).message, hosts),
      });
      await wait(RETRY_DELAY, stop);
    }
  }
  return null;
}

/**
 * Keeps a socket reset reported after the NATS client dropped the socket from ending the
 * process: with @nats-io/transport-node under Deno, a connection the server refuses or
 * resets can raise `ECONNRESET` from a socket the client has already discarded, outside of
 * any handler. The client has handled the disconnection by then.
 */
export function ignoreDiscardedSocketResets(): void {
  globalThis.addEventListener("error", (event) => {
    const error = event.error as
      | { code?: string; message?: string }
      | undefined;
    if (
      error?.code === "ECONNRESET" || error?.message?.includes("ECONNRESET")
    ) {
      event.preventDefault();
    }
  });
}
