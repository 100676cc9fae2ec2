/**
 * The node's configuration: a YAML file (as in the original service) with environment
 * variables taking precedence.
 *
 * ```yaml
 * namespace: beta
 * catchup: 60s          # optional
 * clock:
 *   maxOffset: 1s       # beyond it from the NATS server's clock, a node stands by
 * log:                  # optional
 *   level: info         # debug, info, warn or error
 *   format: json        # json or text
 * nats:
 *   hosts:
 *     - nats://127.0.0.1:4222
 *   replicas: 3         # optional: of the bucket and streams this namespace creates
 *   nkey: SUA...        # optional user nkey seed; or one of:
 *   # creds: /etc/nats/user.creds     token: ...     user: ... + password: ...
 *   # tls: { ca: ca.pem, cert: cert.pem, key: key.pem }
 * http:
 *   port: 8080          # /healthz, /readyz, /metrics
 * worker:               # optional, for `schedule worker`
 *   concurrency: 8
 *   timeout: 30s
 *   maxAttempts: 5
 *   retryDelay: 1s
 *   maxRetryDelay: 5m
 *   ackWait: 30s
 *   allowHosts: [api.example.com, "*.internal.example.com"]
 *   allowNetworks: [169.254.169.254/32]   # blocked by default: link-local, cloud metadata
 *   secretsDir: /etc/schedule/secrets     # one file per secret of secretHeaders
 * console:              # optional, for `schedule console`
 *   port: 8090
 *   hostname: 127.0.0.1
 *   tokenFile: /etc/schedule/console-token   # write access; or token, or user + password(File)
 * ```
 *
 * @module
 */

import { parseYamlRedacted, redactHost } from "./redact.ts";
import ipaddr from "ipaddr.js";
import { isRecord, wholeNumberOf } from "../_util.ts";
import { CLOCK_DEFAULTS, NODE_DEFAULTS, WORKER_DEFAULTS } from "../defaults.ts";
import { parseDuration } from "../spec/duration.ts";
import { ConfigError, type ScheduleError } from "../errors.ts";
import { validateNamespace } from "../nats/names.ts";
import { HTTP_TIMEOUT_LIMITS } from "../jobs/http/job.ts";
import {
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type LogLevel,
} from "./log.ts";

/**
 * A loaded, checked configuration.
 *
 * @example
 * ```ts
 * import type { Config } from "./config.ts";
 * import { parseConfig } from "./config.ts";
 * const config: Config = parseConfig("namespace: beta\nnats: { hosts: [127.0.0.1:4222] }", {});
 * ```
 */
export interface Config {
  /** The namespace to serve. */
  namespace: string;
  /** The log lines written, and how. */
  log: LogConfig;
  /** How late a tick may still be published, in ms. */
  catchup: number;
  /** The clock check. */
  clock: {
    /** The largest offset to the NATS server's clock, in ms, before a node stands by. */
    maxOffset: number;
  };
  /** The worker's settings (durations in ms). */
  worker: WorkerConfig;
  /** The health and metrics endpoint. */
  http: {
    /** The port (0: any free port). */
    port: number;
  };
  /** NATS connection. */
  nats: NatsConfig;
  /** The web console (`schedule console`). */
  console: ConsoleConfig;
}

/**
 * The `console` section. Write access needs a token or a user and password (given, or read
 * from a file when the console starts); without any, the console is read-only.
 *
 * @example
 * ```ts
 * import type { ConsoleConfig } from "./config.ts";
 * const console: ConsoleConfig = { port: 8090, hostname: "127.0.0.1", tokenFile: "/run/token" };
 * ```
 */
export interface ConsoleConfig {
  /** The port (0: any free port). */
  port: number;
  /** The address listened on. */
  hostname: string;
  /** The token that grants write access. */
  token?: string;
  /** A file holding that token. */
  tokenFile?: string;
  /** A user name that grants write access, with `password` or `passwordFile`. */
  user?: string;
  /** The user's password. */
  password?: string;
  /** A file holding the user's password. */
  passwordFile?: string;
}

/**
 * The `log` section. The deprecated `debug: true` stands for level `debug` and format
 * `text`; `log.level` and `log.format` take precedence over it.
 *
 * @example
 * ```ts
 * import type { LogConfig } from "./config.ts";
 * const log: LogConfig = { level: "debug", format: "json" };
 * ```
 */
export interface LogConfig {
  /**
   * The lowest level written.
   *
   * @default "info"
   */
  level: LogLevel;
  /**
   * JSON lines, or readable text.
   *
   * @default "json"
   */
  format: LogFormat;
}

/**
 * How to reach and authenticate to NATS. At most one of `nkey`, `creds`, `token` and
 * `user`/`password`. Secrets are never logged.
 *
 * @example
 * ```ts
 * import type { NatsConfig } from "./config.ts";
 * const nats: NatsConfig = { hosts: ["tls://nats.example.com:4222"], creds: "/etc/nats/node.creds" };
 * ```
 */
export interface NatsConfig {
  /** Server URLs or host:port. */
  hosts: string[];
  /** Replicas of the bucket and streams, when a node or worker creates them (1 to 5). */
  replicas?: number;
  /** A user nkey seed (`SU...`). */
  nkey?: string;
  /** The path of a credentials file (JWT and seed). */
  creds?: string;
  /** A token. */
  token?: string;
  /** A user name, with `password`. */
  user?: string;
  /** The user's password. */
  password?: string;
  /** TLS files: a CA to trust, and a client certificate and key. */
  tls?: { ca?: string; cert?: string; key?: string };
}

/**
 * The `worker` section.
 *
 * @example
 * ```ts
 * import type { WorkerConfig } from "./config.ts";
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
  /** Networks HTTP jobs may reach although they are blocked by default (link-local, metadata). */
  allowNetworks?: string[];
  /** The directory of secret files (`secretHeaders`), after `SCHEDULE_SECRET_<NAME>`. */
  secretsDir?: string;
}

/** The environment variables that override the file, by config field. */
export const CONFIG_ENV = {
  namespace: "SCHEDULE_NAMESPACE",
  debug: "SCHEDULE_DEBUG",
  "log.level": "SCHEDULE_LOG_LEVEL",
  "log.format": "SCHEDULE_LOG_FORMAT",
  catchup: "SCHEDULE_CATCHUP",
  "clock.maxOffset": "SCHEDULE_CLOCK_MAX_OFFSET",
  "nats.hosts": "SCHEDULE_NATS_HOSTS",
  "nats.replicas": "SCHEDULE_NATS_REPLICAS",
  "nats.nkey": "SCHEDULE_NATS_NKEY",
  "nats.creds": "SCHEDULE_NATS_CREDS",
  "nats.token": "SCHEDULE_NATS_TOKEN",
  "nats.user": "SCHEDULE_NATS_USER",
  "nats.password": "SCHEDULE_NATS_PASSWORD",
  "nats.tls.ca": "SCHEDULE_NATS_TLS_CA",
  "nats.tls.cert": "SCHEDULE_NATS_TLS_CERT",
  "nats.tls.key": "SCHEDULE_NATS_TLS_KEY",
  "http.port": "SCHEDULE_HTTP_PORT",
  "worker.concurrency": "SCHEDULE_WORKER_CONCURRENCY",
  "worker.timeout": "SCHEDULE_WORKER_TIMEOUT",
  "worker.maxAttempts": "SCHEDULE_WORKER_MAX_ATTEMPTS",
  "worker.retryDelay": "SCHEDULE_WORKER_RETRY_DELAY",
  "worker.maxRetryDelay": "SCHEDULE_WORKER_MAX_RETRY_DELAY",
  "worker.ackWait": "SCHEDULE_WORKER_ACK_WAIT",
  "worker.allowHosts": "SCHEDULE_WORKER_ALLOW_HOSTS",
  "worker.allowNetworks": "SCHEDULE_WORKER_ALLOW_NETWORKS",
  "worker.secretsDir": "SCHEDULE_WORKER_SECRETS_DIR",
  "console.port": "SCHEDULE_CONSOLE_PORT",
  "console.hostname": "SCHEDULE_CONSOLE_HOSTNAME",
  "console.token": "SCHEDULE_CONSOLE_TOKEN",
  "console.tokenFile": "SCHEDULE_CONSOLE_TOKEN_FILE",
  "console.user": "SCHEDULE_CONSOLE_USER",
  "console.password": "SCHEDULE_CONSOLE_PASSWORD",
  "console.passwordFile": "SCHEDULE_CONSOLE_PASSWORD_FILE",
} as const;

/** The keys each section of the file may hold; any other is a typo, reported. */
const KNOWN_KEYS: Record<string, readonly string[]> = {
  "": [
    "namespace",
    "debug",
    "catchup",
    "log",
    "nats",
    "http",
    "worker",
    "clock",
    "console",
  ],
  log: ["level", "format"],
  nats: [
    "hosts",
    "replicas",
    "nkey",
    "creds",
    "token",
    "user",
    "password",
    "tls",
  ],
  "nats.tls": ["ca", "cert", "key"],
  http: ["port"],
  worker: [
    "concurrency",
    "timeout",
    "maxAttempts",
    "retryDelay",
    "maxRetryDelay",
    "ackWait",
    "allowHosts",
    "allowNetworks",
    "secretsDir",
  ],
  clock: ["maxOffset"],
  console: [
    "port",
    "hostname",
    "token",
    "tokenFile",
    "user",
    "password",
    "passwordFile",
  ],
};

/** The `console` settings that are text: every one but the port. */
const CONSOLE_TEXT_FIELDS = KNOWN_KEYS.console.filter((field) =>
  field !== "port"
) as Exclude<keyof ConsoleConfig, "port">[];

const NKEY_SEED = /^SU[A-Z2-7]{56}$/;

/** Where the executable looks for its config file when `--config` is not given. */
export const DEFAULT_CONFIG = "./config/config.yml";

/**
 * Loads the configuration: the file at `path` (it may be missing only when it is the
 * default path and the environment gives the namespace) with the environment on top.
 *
 * @throws {ConfigError} When the file cannot be read or a field is invalid; the message
 * names the path tried.
 */
export async function loadConfig(
  path: string | undefined,
  env: Record<string, string | undefined>,
): Promise<Config> {
  let text: string | undefined;
  try {
    text = await Deno.readTextFile(path ?? DEFAULT_CONFIG);
  } catch (err) {
    if (!(path === undefined && err instanceof Deno.errors.NotFound)) {
      throw new ConfigError(
        `cannot read the config file ${path ?? DEFAULT_CONFIG}: ${
          (err as Error).message
        }`,
      );
    }
    if (env[CONFIG_ENV.namespace] === undefined) {
      throw new ConfigError(
        `no config file at ${DEFAULT_CONFIG} and ${CONFIG_ENV.namespace} is not set: ` +
          "give --config PATH, or the SCHEDULE_* variables",
      );
    }
  }
  return parseConfig(text, env);
}

/**
 * Reads and checks the configuration: the YAML text (if any) with `env` on top.
 *
 * @param text The YAML file's text, or `undefined` when there is no file.
 * @param env Environment variables (see {@link CONFIG_ENV}).
 * @throws {ConfigError} Naming the field that is missing or invalid.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfig } from "./config.ts";
 *
 * const text = "namespace: beta\nnats:\n  hosts: [127.0.0.1:4222]\n";
 * const config = parseConfig(text, { SCHEDULE_HTTP_PORT: "9090" });
 * assert.equal(config.catchup, 60_000);
 * assert.equal(config.clock.maxOffset, 1000);
 * assert.equal(config.http.port, 9090);
 * ```
 */
export function parseConfig(
  text: string | undefined,
  env: Record<string, string | undefined>,
): Config {
  const file = parseFile(text);
  const nats = checkSections(file);
  const namespace = parseNamespace(env[CONFIG_ENV.namespace] ?? file.namespace);
  const catchup = durationField(
    "catchup",
    env[CONFIG_ENV.catchup] ?? file.catchup,
    NODE_DEFAULTS.catchup,
  );
  const maxOffset = parseMaxOffset(file.clock ?? {}, env);
  const hosts = parseHosts(env[CONFIG_ENV["nats.hosts"]], nats.hosts);
  return {
    namespace,
    log: parseLog(file, env),
    catchup,
    clock: { maxOffset },
    http: parseHttp(file.http ?? {}, env),
    worker: parseWorker(file.worker ?? {}, env),
    console: parseConsole(file.console ?? {}, env),
    nats: {
      hosts,
      ...parseReplicas(env[CONFIG_ENV["nats.replicas"]] ?? nats.replicas),
      ...parseAuth(nats, env),
      ...parseTls(nats.tls ?? {}, env),
    },
  };
}

/**
 * Reports unknown keys at the top level, in `nats` and in the other sections that are
 * mappings; returns the `nats` section.
 */
function checkSections(file: Record<string, unknown>): Record<string, unknown> {
  checkKeys(file, "");
  const nats = file.nats ?? {};
  if (!isRecord(nats)) {
    throw new ConfigError("nats: expected a mapping with hosts and nkey");
  }
  checkKeys(nats, "nats");
  for (const name of ["log", "http", "worker", "clock", "console"]) {
    const section = file[name];
    if (isRecord(section)) checkKeys(section, name);
  }
  return nats;
}

/** The `maxOffset` of the `clock` section. */
function parseMaxOffset(
  clock: unknown,
  env: Record<string, string | undefined>,
): number {
  if (!isRecord(clock)) {
    throw new ConfigError("clock: expected a mapping with maxOffset");
  }
  return durationField(
    "clock.maxOffset",
    env[CONFIG_ENV["clock.maxOffset"]] ?? clock.maxOffset,
    CLOCK_DEFAULTS.maxOffset,
    true,
  );
}

/**
 * Reports a key of `section` (at `path`, `""` for the top level) that is not one of the
 * known ones: a typo such as `workr:` would otherwise be ignored.
 */
function checkKeys(section: Record<string, unknown>, path: string): void {
  const known = KNOWN_KEYS[path];
  const unknown = Object.keys(section).find((key) => !known.includes(key));
  if (unknown === undefined) return;
  const where = path ? ` in ${path}` : "";
  throw new ConfigError(
    `${
      path ? `${path}.` : ""
    }${unknown}: unknown key; the known keys${where} are ${known.join(", ")}`,
  );
}

/** The `log` section, with the deprecated `debug` flag as its fallback. */
function parseLog(
  file: Record<string, unknown>,
  env: Record<string, string | undefined>,
): LogConfig {
  const debugText = env[CONFIG_ENV.debug];
  const debug = debugText === undefined
    ? file.debug ?? false
    : parseBoolean(debugText);
  if (typeof debug !== "boolean") {
    throw new ConfigError("debug: expected true or false");
  }
  const section = file.log ?? {};
  if (!isRecord(section)) {
    throw new ConfigError("log: expected a mapping with level and format");
  }
  const choice = <T extends string>(
    field: "level" | "format",
    choices: readonly T[],
    fallback: T,
  ): T => {
    const value = env[CONFIG_ENV[`log.${field}`]] ?? section[field] ?? fallback;
    if (!choices.includes(value as T)) {
      throw new ConfigError(
        `log.${field}: expected one of ${choices.join(", ")}`,
      );
    }
    return value as T;
  };
  return {
    level: choice("level", LOG_LEVELS, debug ? "debug" : "info"),
    format: choice("format", LOG_FORMATS, debug ? "text" : "json"),
  };
}

/** `nats.replicas`, when given: 1 to 5, as JetStream allows. */
function parseReplicas(value: unknown): Pick<NatsConfig, "replicas"> {
  if (value === undefined || value === null) return {};
  const replicas = wholeNumberOf(value);
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) {
    throw new ConfigError("nats.replicas: expected a whole number from 1 to 5");
  }
  return { replicas };
}

/** The YAML mapping of the file; an empty one when there is no file. */
function parseFile(text: string | undefined): Record<string, unknown> {
  const file = text === undefined ? {} : parseYamlRedacted(
    text,
    (reason) => new ConfigError(`the config file is not valid YAML: ${reason}`),
  ) ?? {};
  if (!isRecord(file)) {
    throw new ConfigError("the config file must be a YAML mapping");
  }
  return file;
}

function parseNamespace(namespace: unknown): string {
  if (namespace === undefined) throw new ConfigError("namespace: missing");
  if (typeof namespace !== "string") {
    throw new ConfigError("namespace: expected a string");
  }
  try {
    validateNamespace(namespace);
  } catch (err) {
    throw new ConfigError(`namespace: ${(err as ScheduleError).message}`);
  }
  return namespace;
}

/** The hosts: `text` (comma-separated, from the environment), else the file's list. */
function parseHosts(text: string | undefined, listed: unknown): string[] {
  const hosts = text === undefined
    ? listed
    : text.split(",").map((h) => h.trim());
  if (
    !Array.isArray(hosts) || hosts.length === 0 ||
    !hosts.every((host) => typeof host === "string" && host.length > 0)
  ) {
    throw new ConfigError(
      "nats.hosts: expected a non-empty list of NATS URLs or host:port",
    );
  }
  const unreadable = hosts.find((host) => !isNatsHost(host));
  if (unreadable !== undefined) {
    throw new ConfigError(
      `nats.hosts: ${redactHost(unreadable)} is not a NATS URL or host:port ` +
        "(a password or token holding / ? # @ is percent-encoded: %2F %3F %23 %40)",
    );
  }
  return hosts;
}

/**
 * Whether the NATS client reads `host` as one: after its scheme, if any, a host, a port
 * and credentials as `http://` would parse them (a bare IPv6 address in brackets), and
 * nothing after (a NATS URL has no path).
 */
function isNatsHost(host: string): boolean {
  const rest = host.trim().replace(/^.*:\/\//, "");
  const ipv6 = !/[@[]/.test(rest) && rest.split(":").length > 2;
  const url = URL.parse(`http://${ipv6 ? `[${rest}]` : rest}`);
  return url !== null && url.hostname !== "" && url.pathname === "/" &&
    url.search === "" && url.hash === "";
}

/** The one authentication method of the `nats` section, if any. */
function parseAuth(
  section: Record<string, unknown>,
  env: Record<string, string | undefined>,
): Omit<NatsConfig, "hosts" | "tls"> {
  const text = (field: AuthField) => authField(section, env, field);
  const auth: Omit<NatsConfig, "hosts" | "tls"> = {};
  const nkey = text("nkey");
  if (nkey !== undefined) {
    if (!NKEY_SEED.test(nkey)) {
      throw new ConfigError(
        "nats.nkey: expected a user nkey seed (58 characters starting with SU)",
      );
    }
    auth.nkey = nkey;
  }
  const creds = text("creds");
  if (creds !== undefined) auth.creds = creds;
  const token = text("token");
  if (token !== undefined) auth.token = token;
  const user = text("user");
  const password = text("password");
  if ((user === undefined) !== (password === undefined)) {
    throw new ConfigError("nats.user and nats.password: give both or neither");
  }
  if (user !== undefined) Object.assign(auth, { user, password });
  const methods = [nkey, creds, token, user].filter((method) =>
    method !== undefined
  );
  if (methods.length > 1) {
    throw new ConfigError(
      "nats: give one of nkey, creds, token or user/password",
    );
  }
  return auth;
}

type AuthField = "nkey" | "creds" | "token" | "user" | "password";

/** One credential field of the `nats` section, if given. */
function authField(
  section: Record<string, unknown>,
  env: Record<string, string | undefined>,
  field: AuthField,
): string | undefined {
  const value = env[CONFIG_ENV[`nats.${field}`]] ?? section[field];
  if (
    value !== undefined && value !== null &&
    (typeof value !== "string" || !value)
  ) {
    throw new ConfigError(`nats.${field}: expected a non-empty string`);
  }
  return value ?? undefined;
}

/** The `tls` field of the `nats` section, when it names any file. */
function parseTls(
  section: unknown,
  env: Record<string, string | undefined>,
): Pick<NatsConfig, "tls"> {
  if (!isRecord(section)) {
    throw new ConfigError("nats.tls: expected a mapping with ca, cert, key");
  }
  checkKeys(section, "nats.tls");
  const tls: NonNullable<NatsConfig["tls"]> = {};
  for (const field of ["ca", "cert", "key"] as const) {
    const value = env[CONFIG_ENV[`nats.tls.${field}`]] ?? section[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== "string" || !value) {
      throw new ConfigError(`nats.tls.${field}: expected a file path`);
    }
    tls[field] = value;
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new ConfigError(
      "nats.tls.cert and nats.tls.key: give both or neither",
    );
  }
  return Object.keys(tls).length > 0 ? { tls } : {};
}

function parseHttp(
  section: unknown,
  env: Record<string, string | undefined>,
): Config["http"] {
  if (!isRecord(section)) {
    throw new ConfigError("http: expected a mapping with port");
  }
  const port = portField(
    "http.port",
    env[CONFIG_ENV["http.port"]] ?? section.port ?? 8080,
  );
  return { port };
}

function parseConsole(
  section: unknown,
  env: Record<string, string | undefined>,
): ConsoleConfig {
  if (!isRecord(section)) throw new ConfigError("console: expected a mapping");
  const value = (field: keyof ConsoleConfig) =>
    env[CONFIG_ENV[`console.${field}`]] ?? section[field] ?? undefined;
  const port = portField("console.port", value("port") ?? 8090);
  const config: ConsoleConfig = { port, hostname: "127.0.0.1" };
  for (const field of CONSOLE_TEXT_FIELDS) {
    const text = value(field);
    if (text === undefined) continue;
    if (typeof text !== "string" || !text) {
      throw new ConfigError(`console.${field}: expected a non-empty string`);
    }
    config[field] = text;
  }
  checkConsoleAccess(config);
  return config;
}

/** The console's credentials: a token or a user with a password, each given once. */
function checkConsoleAccess(config: ConsoleConfig): void {
  if ((config.token ?? config.tokenFile) && config.user) {
    throw new ConfigError("console: give a token or a user, not both");
  }
  if (config.token && config.tokenFile) {
    throw new ConfigError("console: give token or tokenFile, not both");
  }
  if (config.password && config.passwordFile) {
    throw new ConfigError("console: give password or passwordFile, not both");
  }
  if (
    (config.user === undefined) !==
      ((config.password ?? config.passwordFile) === undefined)
  ) {
    throw new ConfigError(
      "console.user and console.password (or passwordFile): give both or neither",
    );
  }
}

/** A port number, 0 for any free port. */
function portField(name: string, value: unknown): number {
  const port = wholeNumberOf(value);
  if (!Number.isInteger(port) || port > 65535) {
    throw new ConfigError(
      `${name}: expected a port number (0 for any free port)`,
    );
  }
  return port;
}

function parseWorker(
  section: unknown,
  env: Record<string, string | undefined>,
): WorkerConfig {
  if (!isRecord(section)) throw new ConfigError("worker: expected a mapping");
  const value = (field: keyof WorkerConfig) =>
    env[CONFIG_ENV[`worker.${field}`]] ?? section[field];
  const allowHosts = parseList(
    "worker.allowHosts",
    env[CONFIG_ENV["worker.allowHosts"]],
    section.allowHosts,
    "host names",
  );
  const allowNetworks = parseList(
    "worker.allowNetworks",
    env[CONFIG_ENV["worker.allowNetworks"]],
    section.allowNetworks,
    "networks such as 169.254.169.254/32",
    (cidr) => ipaddr.isValidCIDR(cidr),
  );
  const config = workerLimits(value);
  if (allowHosts) config.allowHosts = allowHosts;
  if (allowNetworks) config.allowNetworks = allowNetworks;
  const secretsDir = value("secretsDir");
  if (secretsDir !== undefined && secretsDir !== null) {
    if (typeof secretsDir !== "string" || !secretsDir) {
      throw new ConfigError("worker.secretsDir: expected a directory path");
    }
    config.secretsDir = secretsDir;
  }
  return config;
}

/** The worker's counts and durations, from `value` of each field. */
function workerLimits(
  value: (field: keyof WorkerConfig) => unknown,
): WorkerConfig {
  const count = (field: "concurrency" | "maxAttempts") =>
    countField(`worker.${field}`, value(field), WORKER_DEFAULTS[field]);
  const duration = (
    field: "timeout" | "retryDelay" | "maxRetryDelay" | "ackWait",
    positive = false,
  ) =>
    durationField(
      `worker.${field}`,
      value(field),
      WORKER_DEFAULTS[field],
      positive,
    );
  /** `field` within [`min`, `max`], both given as Go durations in the message. */
  const within = (
    field: "timeout" | "retryDelay" | "maxRetryDelay" | "ackWait",
    [min, minText]: [number, string],
  ) => {
    const ms = duration(field, min > 0);
    if (ms < min || ms > HTTP_TIMEOUT_LIMITS.max) {
      throw new ConfigError(
        `worker.${field}: expected a Go duration between ${minText} and 24h`,
      );
    }
    return ms;
  };
  return {
    concurrency: count("concurrency"),
    timeout: within("timeout", [HTTP_TIMEOUT_LIMITS.min, "1ms"]),
    maxAttempts: count("maxAttempts"),
    // Past 24 h a timer's delay overflows (2^31 ms), and it fires at once.
    retryDelay: within("retryDelay", [0, "0s"]),
    maxRetryDelay: within("maxRetryDelay", [0, "0s"]),
    // Under 1 s the lock's heartbeat (every third, at least 100 ms) lets a long run's
    // tick be delivered again while it runs.
    ackWait: within("ackWait", [1000, "1s"]),
  };
}

/**
 * A list setting: comma-separated `text` from the environment, or the file's list; each
 * item a non-empty string that passes `valid`.
 */
function parseList(
  name: string,
  text: string | undefined,
  listed: unknown,
  what: string,
  valid: (item: string) => boolean = () => true,
): string[] | undefined {
  const list = text === undefined
    ? listed
    : text.split(",").map((item) => item.trim()).filter(Boolean);
  if (list === undefined || list === null) return undefined;
  if (
    !Array.isArray(list) ||
    !list.every((item) => typeof item === "string" && item && valid(item))
  ) {
    throw new ConfigError(`${name}: expected a list of ${what}`);
  }
  return list;
}

function durationField(
  name: string,
  value: unknown,
  fallback: number,
  positive = false,
): number {
  if (value === undefined || value === null) return fallback;
  let ms = NaN;
  try {
    ms = parseDuration(String(value));
  } catch { /* reported below */ }
  if (!(positive ? ms > 0 : ms >= 0)) {
    throw new ConfigError(
      `${name}: expected a${
        positive ? " positive" : ""
      } Go duration such as 30s or 1m30s`,
    );
  }
  return ms;
}

function countField(name: string, value: unknown, fallback: number): number {
  const count = wholeNumberOf(value ?? fallback);
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
