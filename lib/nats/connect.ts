/**
 * Connecting a node or worker to NATS with the configured hosts, credentials and TLS.
 *
 * @module
 */

import {
  AuthorizationError,
  credsAuthenticator,
  nkeyAuthenticator,
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
 * files, and reconnection forever. Reads the credentials file now.
 *
 * @throws {ConfigError} When the credentials file cannot be read.
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
    options.authenticator = nkeyAuthenticator(
      new TextEncoder().encode(nats.nkey),
    );
  }
  if (nats.creds !== undefined) {
    let creds: Uint8Array;
    try {
      creds = await Deno.readFile(nats.creds);
    } catch (err) {
      throw new ConfigError(
        `nats.creds: cannot read ${nats.creds}: ${(err as Error).message}`,
      );
    }
    options.authenticator = credsAuthenticator(creds);
  }
  if (nats.token !== undefined) options.token = nats.token;
  if (nats.user !== undefined) {
    Object.assign(options, { user: nats.user, pass: nats.password });
  }
  if (nats.tls) {
    options.tls = {
      ...(nats.tls.ca === undefined ? {} : { caFile: nats.tls.ca }),
      ...(nats.tls.cert === undefined
        ? {}
        : { certFile: nats.tls.cert, keyFile: nats.tls.key }),
    };
  }
  return options;
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
