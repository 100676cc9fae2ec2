/**
 * Private helpers of the client: what its calls share.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/nats-core";
import type { KvEntry } from "@nats-io/kv";
import {
  type Compile,
  type CompiledDefinition,
  decodeDefinition,
} from "../wire/mod.ts";
import {
  InvalidJobError,
  NotFoundError,
  type ScheduleError,
} from "../errors.ts";
import { validateKey } from "../nats/names.ts";
import { isStreamNotFound } from "../nats/provision.ts";
import { isRecord, quoted } from "../_util.ts";
import type { Namespace } from "../nats/namespace.ts";
import { readDefinitionEntry } from "../nats/definitions.ts";
import { publishEvent } from "../nats/events.ts";
import type { Definition, ScheduleEvent } from "../types.ts";

/** What the client's calls work on: the connection, the namespace and the spec cache. */
export interface Client {
  /** The connection. */
  readonly nc: NatsConnection;
  /** The namespace opened. */
  readonly namespace: Namespace;
  /** Compiles a spec, through the client's cache. */
  readonly compile: Compile;
}

/** The name of the client's namespace. */
export function namespaceOf(client: Client): string {
  return client.namespace.names.namespace;
}

/** The entry of `key` in the definitions bucket. */
export async function readEntry(client: Client, key: string): Promise<KvEntry> {
  validateKey(key);
  return await readDefinitionEntry(client.namespace, key);
}

/** The entry of `key` and its definition. */
export async function readDefinition(
  client: Client,
  key: string,
): Promise<CompiledDefinition & { entry: KvEntry }> {
  const entry = await readEntry(client, key);
  return { entry, ...decodeDefinition(entry.value, client.compile) };
}

/** Checks that `definition` of `key` has a job `index`. */
export function jobIndex(
  key: string,
  definition: Definition,
  index: number,
): number {
  if (
    !Number.isInteger(index) || index < 0 || index >= definition.jobs.length
  ) {
    throw new NotFoundError(
      `${
        quoted(key)
      } has no job ${index}: it has ${definition.jobs.length} (0 to ${
        definition.jobs.length - 1
      })`,
    );
  }
  return index;
}

/** Publishes `event`, now, leaving out its fields that are undefined. */
export function sendEvent(
  client: Client,
  event: Omit<ScheduleEvent, "at">,
): void {
  const defined = Object.fromEntries(
    Object.entries(event).filter(([, value]) => value !== undefined),
  ) as Omit<ScheduleEvent, "at">;
  publishEvent(client.nc, client.namespace.names, {
    ...defined,
    at: new Date(),
  });
}

/**
 * Refuses a `by` that is not a non-empty string, or that holds a control character (a
 * line break cannot go in the header of a removal, nor any on one line of the history).
 */
export function checkBy(by: unknown): void {
  if (by === undefined) return;
  if (typeof by !== "string" || by === "") {
    throw new InvalidJobError("by must be a name, a non-empty string");
  }
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(by)) {
    throw new InvalidJobError(
      `by must be a name without control characters (line breaks, tabs), not ${
        JSON.stringify(by)
      }`,
    );
  }
}

/**
 * The messages of `stream` on `filter`, as `Namespace.read` gives them; none when the
 * stream does not exist (deleted under the client: a read shows what is there).
 */
export async function* readStream<T>(
  client: Client,
  stream: string,
  filter: string,
  decode: (bytes: Uint8Array, subject: string) => T,
): AsyncIterable<Exclude<T, null>> {
  try {
    yield* client.namespace.read(stream, filter, decode);
  } catch (err) {
    if (!isStreamNotFound(err)) throw err;
  }
}

/**
 * The last message on `subject` of `stream` that is valid and `accept`ed: the last one
 * when it is (one direct get), else the latest such of the subject's messages (after
 * foreign data, or of another definition when `scanPast` says so); `null` when none.
 */
export async function lastValid<T>(
  client: Client,
  stream: string,
  subject: string,
  decode: (bytes: Uint8Array) => T,
  accept: (value: T) => boolean,
  scanPast: (value: T) => boolean = () => false,
): Promise<T | null> {
  const last = await client.namespace.last(stream, subject, decode);
  if (last === undefined) return null;
  if (last !== null && accept(last)) return last;
  if (last !== null && !scanPast(last)) return null;
  let found: T | null = null;
  for await (const value of readStream(client, stream, subject, decode)) {
    if (accept(value)) found = value;
  }
  return found;
}

/**
 * The options of call `call`, `{}` when left out; anything but an object is refused with
 * the call's error (`null` read as an object threw a `TypeError`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { optionsOf } from "./_util.ts";
 * import { InvalidJobError } from "../errors.ts";
 * assert.deepEqual(optionsOf("pause", undefined), {});
 * assert.throws(() => optionsOf("pause", null), InvalidJobError);
 * ```
 */
export function optionsOf<T extends object>(
  call: string,
  options: T | undefined | null,
  fail: (message: string) => ScheduleError = (message) =>
    new InvalidJobError(message),
): T {
  if (options === undefined) return {} as T;
  if (!isRecord(options)) {
    throw fail(
      `${call}: options must be an object, not ${
        options === null ? "null" : typeof options
      }`,
    );
  }
  return options;
}
