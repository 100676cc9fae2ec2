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
 * worker:               # optional, for `schedule worker`
 *   concurrency: 8
 *   timeout: 30s
 *   maxAttempts: 5
 *   retryDelay: 1s
 *   maxRetryDelay: 5m
 *   ackWait: 30s
 *   allowHosts: [api.example.com, "*.internal.example.com"]
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
  /** The worker's settings (durations in ms). */
  worker: WorkerConfig;
  /** NATS connection. */
  nats: {
    /** Server URLs or host:port. */
    hosts: string[];
    /** A user nkey seed (`SU...`). Never logged. */
    nkey?: string;
  };
}

/**
 * The `worker` section.
 *
 * @example
 * ```ts
 * import type { WorkerConfig } from "@x/schedule";
 * const worker: WorkerConfig = {
 *   concurrency: 8, timeout: 30_000, maxAttempts: 5, retryDelay: 1000,
 *   maxRetryDelay: 300_000, ackWait: 30_000,
 * };
 * ```
 */
export interface WorkerConfig {
  /** Executions at once. */
  concurrency: number;
  /** HTTP timeout when a job sets none, in ms. */
  timeout: number;
  /** Tries per tick. */
  maxAttempts: number;
  /** First retry delay, in ms. */
  retryDelay: number;
  /** Longest retry delay, in ms. */
  maxRetryDelay: number;
  /** The shared consumer's ack wait, in ms. */
  ackWait: number;
  /** Hosts HTTP jobs may call; any when unset. */
  allowHosts?: string[];
}

/** The environment variables that override the file, by config field. */
export const CONFIG_ENV = {
  namespace: "SCHEDULE_NAMESPACE",
  debug: "SCHEDULE_DEBUG",
  catchup: "SCHEDULE_CATCHUP",
  "nats.hosts": "SCHEDULE_NATS_HOSTS",
  "nats.nkey": "SCHEDULE_NATS_NKEY",
  "worker.concurrency": "SCHEDULE_WORKER_CONCURRENCY",
  "worker.timeout": "SCHEDULE_WORKER_TIMEOUT",
  "worker.maxAttempts": "SCHEDULE_WORKER_MAX_ATTEMPTS",
  "worker.retryDelay": "SCHEDULE_WORKER_RETRY_DELAY",
  "worker.maxRetryDelay": "SCHEDULE_WORKER_MAX_RETRY_DELAY",
  "worker.ackWait": "SCHEDULE_WORKER_ACK_WAIT",
  "worker.allowHosts": "SCHEDULE_WORKER_ALLOW_HOSTS",
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
    worker: parseWorker(file.worker ?? {}, env),
    nats: typeof nkey === "string" ? { hosts, nkey } : { hosts },
  };
}

function parseWorker(
  section: unknown,
  env: Record<string, string | undefined>,
): WorkerConfig {
  if (!isRecord(section)) throw new ConfigError("worker: expected a mapping");
  const value = (field: keyof WorkerConfig) =>
    env[CONFIG_ENV[`worker.${field}`]] ?? section[field];
  const allowText = env[CONFIG_ENV["worker.allowHosts"]];
  const allowHosts = allowText === undefined
    ? section.allowHosts
    : allowText.split(",").map((host) => host.trim()).filter(Boolean);
  if (
    allowHosts !== undefined &&
    (!Array.isArray(allowHosts) ||
      !allowHosts.every((h) => typeof h === "string" && h))
  ) {
    throw new ConfigError("worker.allowHosts: expected a list of host names");
  }
  const config: WorkerConfig = {
    concurrency: countField("worker.concurrency", value("concurrency"), 8),
    timeout: durationField("worker.timeout", value("timeout"), "30s", true),
    maxAttempts: countField("worker.maxAttempts", value("maxAttempts"), 5),
    retryDelay: durationField("worker.retryDelay", value("retryDelay"), "1s"),
    maxRetryDelay: durationField(
      "worker.maxRetryDelay",
      value("maxRetryDelay"),
      "5m",
    ),
    ackWait: durationField("worker.ackWait", value("ackWait"), "30s", true),
  };
  return allowHosts === undefined ? config : { ...config, allowHosts };
}

function durationField(
  name: string,
  value: unknown,
  fallback: string,
  positive = false,
): number {
  let ms = NaN;
  try {
    ms = parseDuration(String(value ?? fallback));
  } catch { /* reported below */ }
  if (!(positive ? ms > 0 : ms >= 0)) {
    throw new ConfigError(
      `${name}: expected a${
        positive ? " positive" : ""
      } Go duration such as ${fallback}`,
    );
  }
  return ms;
}

function countField(name: string, value: unknown, fallback: number): number {
  const count = Number(value ?? fallback);
  if (!Number.isInteger(count) || count < 1) {
    throw new ConfigError(`${name}: expected a whole number of at least 1`);
  }
  return count;
}

function parseBoolean(text: string): boolean | string {
  if (/^(true|1|yes)$/i.test(text)) return true;
  if (/^(false|0|no)$/i.test(text)) return false;
  return text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
