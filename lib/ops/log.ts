/**
 * Logs: one line per event, JSON for machines or readable text for people.
 *
 * Callers pass only what is safe to print; nothing here knows about secrets, so job
 * options, headers and credentials are never handed to a logger.
 *
 * @module
 */

/** Fields attached to a log line. */
export type LogFields = Record<string, unknown>;

/**
 * A logger with four levels. `debug` lines are written only in debug mode.
 *
 * @example
 * ```ts
 * import { createLogger } from "./log.ts";
 * const log = createLogger({ debug: false });
 * log.info("definition loaded", { key: "test", jobs: 1 });
 * ```
 */
export interface Logger {
  /** Detail for developers; printed in debug mode only. */
  debug(message: string, fields?: LogFields): void;
  /** A normal event. */
  info(message: string, fields?: LogFields): void;
  /** Something went wrong and was handled. */
  warn(message: string, fields?: LogFields): void;
  /** Something went wrong and was not handled. */
  error(message: string, fields?: LogFields): void;
}

/**
 * Creates a logger writing to standard error: JSON lines, or text when `debug` is true.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createLogger } from "./log.ts";
 *
 * const lines: string[] = [];
 * const log = createLogger({ debug: false, write: (line) => lines.push(line) });
 * log.info("definition loaded", { key: "test" });
 * log.debug("timer armed", { delay: 12 });
 * assert.equal(lines.length, 1);
 * assert.equal(JSON.parse(lines[0]).msg, "definition loaded");
 * ```
 */
export function createLogger(
  options: { debug: boolean; write?: (line: string) => void },
): Logger {
  const write = options.write ?? ((line: string) => console.error(line));
  const emit = (level: string) => (message: string, fields: LogFields = {}) => {
    const time = new Date().toISOString();
    if (!options.debug) {
      write(JSON.stringify({ time, level, msg: message, ...fields }));
      return;
    }
    const detail = Object.entries(fields).map(([k, v]) =>
      `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`
    );
    write([time, level.toUpperCase().padEnd(5), message, ...detail].join(" "));
  };
  return {
    debug: options.debug ? emit("debug") : () => {},
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
  };
}
