/**
 * Logs: one line per event, JSON for machines or readable text for people, from a level
 * up.
 *
 * Callers pass only what is safe to print; nothing here knows about secrets, so job
 * options, headers and credentials are never handed to a logger.
 *
 * @module
 */

/** Fields attached to a log line. */
export type LogFields = Record<string, unknown>;

/** The levels, lowest first. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** A log level: `debug`, `info`, `warn` or `error`. */
export type LogLevel = typeof LOG_LEVELS[number];

/** The line formats. */
export const LOG_FORMATS = ["json", "text"] as const;

/** A line format: JSON lines, or readable text. */
export type LogFormat = typeof LOG_FORMATS[number];

/**
 * A logger with four levels; lines below its level are dropped.
 *
 * @example
 * ```ts
 * import { createLogger } from "./log.ts";
 * const log = createLogger();
 * log.info("definition loaded", { key: "test", jobs: 1 });
 * ```
 */
export interface Logger {
  /**
   * Whether `debug` lines are written: a hot path checks it once rather than build the
   * fields of lines that are dropped.
   */
  readonly debugEnabled?: boolean;
  /** Detail for developers. */
  debug(message: string, fields?: LogFields): void;
  /** A normal event. */
  info(message: string, fields?: LogFields): void;
  /** Something went wrong and was handled. */
  warn(message: string, fields?: LogFields): void;
  /** Something went wrong and was not handled. */
  error(message: string, fields?: LogFields): void;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /**
   * The lowest level written.
   *
   * @default "info"
   */
  level?: LogLevel;
  /**
   * JSON lines, or readable text (`time LEVEL message key=value ...`).
   *
   * @default "json"
   */
  format?: LogFormat;
  /**
   * Where each line goes.
   *
   * @default standard error
   */
  write?: (line: string) => void;
}

/**
 * Creates a logger writing to standard error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createLogger } from "./log.ts";
 *
 * const lines: string[] = [];
 * const log = createLogger({ write: (line) => lines.push(line) });
 * log.info("definition loaded", { key: "test" });
 * log.debug("timer armed", { delay: 12 });
 * assert.equal(lines.length, 1);
 * assert.equal(JSON.parse(lines[0]).msg, "definition loaded");
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => console.error(line));
  const format = options.format === "text" ? textLine : jsonLine;
  const lowest = LOG_LEVELS.indexOf(options.level ?? "info");
  const emit = (level: LogLevel) =>
    LOG_LEVELS.indexOf(level) < lowest
      ? () => {}
      : (message: string, fields: LogFields = {}) =>
        write(format(new Date().toISOString(), level, message, fields));
  return {
    debugEnabled: lowest === 0,
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
  };
}

function jsonLine(
  time: string,
  level: LogLevel,
  msg: string,
  fields: LogFields,
): string {
  return JSON.stringify({ time, level, msg, ...fields });
}

/** A text value that would be ambiguous bare: empty, or with spaces, quotes or `=`. */
const NEEDS_QUOTES = /^$|[\s"=]/;

function textLine(
  time: string,
  level: LogLevel,
  message: string,
  fields: LogFields,
): string {
  const detail = Object.entries(fields).map(([key, value]) => {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    return `${key}=${
      typeof value === "string" && NEEDS_QUOTES.test(text)
        ? JSON.stringify(text)
        : text
    }`;
  });
  return [time, level.toUpperCase().padEnd(5), message, ...detail].join(" ");
}
