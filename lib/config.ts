/**
 * The node's configuration: a YAML file (as in the original service) with environment
 * variables taking precedence.
 *
 * ```yaml
 * namespace: beta
 * debug: false
 * catchup: 60s          # optional
 * nats:
 *   hosts:
 *     - nats://127.0.0.1:4222
 *   nkey: SUA...        # optional user nkey seed
 * ```
 *
 * @module
 */

import { parse } from "yaml";
import { parseDuration } from "./duration.ts";
import { ConfigError, type ScheduleError } from "./errors.ts";
import { validateNamespace } from "./names.ts";

/**
 * A loaded, checked configuration.
 *
 * @example
 * ```ts
 * import type { Config } from "@x/schedule";
 * const config: Config = { namespace: "beta", debug: false, catchup: 60_000, nats: { hosts: ["127.0.0.1:4222"] } };
 * ```
 */
export interface Config {
  /** The namespace to serve. */
  namespace: string;
  /** Readable text logs with debug lines, instead of JSON lines. */
  debug: boolean;
  /** How late a tick may still be published, in ms. */
  catchup: number;
  /** NATS connection. */
  nats: {
    /** Server URLs or host:port. */
    hosts: string[];
    /** A user nkey seed (`SU...`). Never logged. */
    nkey?: string;
  };
}

/** The environment variables that override the file, by config field. */
export const CONFIG_ENV = {
  namespace: "SCHEDULE_NAMESPACE",
  debug: "SCHEDULE_DEBUG",
  catchup: "SCHEDULE_CATCHUP",
  "nats.hosts": "SCHEDULE_NATS_HOSTS",
  "nats.nkey": "SCHEDULE_NATS_NKEY",
} as const;

const NKEY_SEED = /^SU[A-Z2-7]{56}$/;

/**
 * Reads and checks the configuration: the YAML text (if any) with `env` on top.
 *
 * @param text The YAML file's text, or `undefined` when there is no file.
 * @param env Environment variables (see {@link CONFIG_ENV}).
 * @throws {ConfigError} Naming the field that is missing or invalid.
 *
 * @example
 * ```ts
 * import { parseConfig } from "@x/schedule";
 * const config = parseConfig("namespace: beta\nnats:\n  hosts: [127.0.0.1:4222]\n", {});
 * config.catchup; // 60000
 * ```
 */
export function parseConfig(
  text: string | undefined,
  env: Record<string, string | undefined>,
): Config {
  let file: unknown = {};
  if (text !== undefined) {
    try {
      file = parse(text) ?? {};
    } catch (err) {
      throw new ConfigError(
        `the config file is not valid YAML: ${(err as Error).message}`,
      );
    }
  }
  if (!isRecord(file)) {
    throw new ConfigError("the config file must be a YAML mapping");
  }
  const nats = file.nats ?? {};
  if (!isRecord(nats)) {
    throw new ConfigError("nats: expected a mapping with hosts and nkey");
  }

  const namespace = env[CONFIG_ENV.namespace] ?? file.namespace;
  if (namespace === undefined) throw new ConfigError("namespace: missing");
  if (typeof namespace !== "string") {
    throw new ConfigError("namespace: expected a string");
  }
  try {
    validateNamespace(namespace);
  } catch (err) {
    throw new ConfigError(`namespace: ${(err as ScheduleError).message}`);
  }

  const debugText = env[CONFIG_ENV.debug];
  const debug = debugText === undefined
    ? file.debug ?? false
    : parseBoolean(debugText);
  if (typeof debug !== "boolean") {
    throw new ConfigError("debug: expected true or false");
  }

  const catchupText = env[CONFIG_ENV.catchup] ?? file.catchup ?? "60s";
  let catchup = NaN;
  try {
    catchup = parseDuration(String(catchupText));
  } catch { /* reported below */ }
  if (!(catchup >= 0)) {
    throw new ConfigError("catchup: expected a Go duration such as 60s");
  }

  const hostsText = env[CONFIG_ENV["nats.hosts"]];
  const hosts = hostsText === undefined
    ? nats.hosts
    : hostsText.split(",").map((h) => h.trim());
  if (
    !Array.isArray(hosts) || hosts.length === 0 ||
    !hosts.every((host) => typeof host === "string" && host.length > 0)
  ) {
    throw new ConfigError(
      "nats.hosts: expected a non-empty list of NATS URLs or host:port",
    );
  }

  const nkey = env[CONFIG_ENV["nats.nkey"]] ?? nats.nkey;
  if (
    nkey !== undefined && nkey !== null &&
    (typeof nkey !== "string" || !NKEY_SEED.test(nkey))
  ) {
    throw new ConfigError(
      "nats.nkey: expected a user nkey seed (58 characters starting with SU)",
    );
  }
  return {
    namespace,
    debug,
    catchup,
    nats: typeof nkey === "string" ? { hosts, nkey } : { hosts },
  };
}

function parseBoolean(text: string): boolean | string {
  if (/^(true|1|yes)$/i.test(text)) return true;
  if (/^(false|0|no)$/i.test(text)) return false;
  return text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
