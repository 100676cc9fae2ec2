/**
 * Writing schedules: define a key (with an expected revision, refusing conflicts),
 * remove it, pause and resume it, each publishing its event.
 *
 * @module
 */

import { headers } from "@nats-io/nats-core";
import { PubHeaders } from "@nats-io/jetstream";
import {
  assertFits,
  type Compile,
  isPauseNote,
  tickEncoder,
} from "../wire/mod.ts";
import { ConflictError, InvalidJobError, InvalidSpecError } from "../errors.ts";
import { checkJobFields, validateJob } from "../jobs/job.ts";
import { validateKey } from "../nats/names.ts";
import { quoted } from "../_util.ts";
import {
  encodeStored,
  pauseDefinition,
  updateDefinition,
} from "../nats/definitions.ts";
import type { Namespace } from "../nats/namespace.ts";
import { isConflict } from "../nats/kv_change.ts";
import type { Spec } from "../spec/spec.ts";
import { policyJitter } from "../spec/jitter.ts";
import type { Definition, Job } from "../types.ts";
import type { PauseOptions, SetOptions, WriteOptions } from "./options.ts";
import {
  checkBy,
  type Client,
  namespaceOf,
  optionsOf,
  readEntry,
  sendEvent,
} from "./_util.ts";

/** The header of a remove's tombstone in the bucket that says who removed the key. */
export const BY_HEADER = "Schedule-By";

/** Defines `key` as the jobs of `args` (see `Schedule.set`). */
export async function setJobs(
  client: Client,
  key: string,
  args: Job[] | [Job[], SetOptions?],
): Promise<void> {
  const { definition, expectedRevision, bytes } = checkSet(
    key,
    args,
    Date.now(),
    client.namespace,
    client.compile,
  );
  assertTicksFit(client, key, definition, client.namespace.maxPayload);
  await checkModes(client, definition.jobs);
  await writeDefinition(client, key, bytes, expectedRevision);
  sendEvent(client, { type: "changed", key, by: definition.by });
}

/**
 * What `set` checks before it reads or writes anything, so that input it refuses changes
 * nothing, not even a namespace the command line would create: the key, the options, the
 * fields of each job, each spec compiled and firing again (unless paused), and the size
 * against `namespace.maxPayload`. Returns the definition to write at `now`, encoded.
 *
 * @throws {InvalidJobError | InvalidSpecError | InvalidKeyError | InvalidTimeZoneError} As `Schedule.set`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkSet } from "./write.ts";
 * import { InvalidSpecError } from "../errors.ts";
 * const job = { mode: "HTTP", spec: "@hourly", option: { url: "https://a.example.com/" } };
 * const server = { maxPayload: 1024 * 1024 };
 * assert.equal(checkSet("report", [job], Date.now(), server).definition.jobs.length, 1);
 * const never = { ...job, spec: "0 0 0 30 2 *" };
 * assert.throws(() => checkSet("report", [never], Date.now(), server), InvalidSpecError);
 * ```
 */
export function checkSet(
  key: string,
  args: Job[] | [Job[], SetOptions?],
  now: number,
  namespace: Pick<Namespace, "maxPayload">,
  compile?: Compile,
): {
  definition: Definition;
  expectedRevision?: number;
  bytes: Uint8Array;
} {
  validateKey(key);
  const [given, givenOptions] = Array.isArray(args[0])
    ? args as [Job[], SetOptions?]
    : [args as Job[]];
  const options = optionsOf("set", givenOptions);
  // What `get` returns can be set again: the `state` it adds to each job is left out.
  const jobs = given.map((job) => {
    if (typeof job !== "object" || job === null || !("state" in job)) {
      return job;
    }
    const { state: _state, ...rest } = job as Job & { state: unknown };
    return rest;
  });
  if (jobs.length === 0) {
    throw new InvalidJobError(
      `set(${quoted(key)}) needs at least one job; to delete it use remove()`,
    );
  }
  const { expectedRevision, by } = options;
  if (
    expectedRevision !== undefined &&
    !(Number.isInteger(expectedRevision) && expectedRevision >= 0)
  ) {
    throw new InvalidJobError(
      `set(${quoted(key)}): expectedRevision must be a whole number, 0 or more`,
    );
  }
  const { paused = false } = options;
  if (typeof paused !== "boolean") {
    throw new InvalidJobError(
      `set(${
        quoted(key)
      }): paused must be true or false, not a ${typeof paused}`,
    );
  }
  const { pause } = options;
  if (pause !== undefined && !(paused && isPauseNote(pause))) {
    throw new InvalidJobError(
      `set(${
        quoted(key)
      }): pause must be a note { note?, at (a time), by? } of a key set paused`,
    );
  }
  checkBy(by);
  checkBy(pause?.by);
  for (const job of jobs) {
    validateJob(job);
    checkJobFields(job);
  }
  const definition: Definition = {
    jobs,
    anchor: new Date(Math.floor(now / 1000) * 1000),
    paused,
    ...(pause === undefined ? {} : { pause }),
    ...(by === undefined ? {} : { by }),
  };
  const { bytes, specs } = encodeStored(namespace, key, definition, compile);
  assertFires(definition, specs, now);
  return { definition, expectedRevision, bytes };
}

/** Deletes `key`, with who did it in its tombstone (see `Schedule.remove`). */
export async function removeKey(
  client: Client,
  key: string,
  options: WriteOptions,
): Promise<void> {
  checkBy(options.by);
  const entry = await readEntry(client, key);
  // What kv.delete publishes, with who did it: a KV delete takes no value.
  const tombstone = headers();
  tombstone.set("KV-Operation", "DEL");
  tombstone.set(
    PubHeaders.ExpectedLastSubjectSequenceHdr,
    String(entry.revision),
  );
  if (options.by !== undefined) tombstone.set(BY_HEADER, options.by);
  try {
    await client.namespace.js.publish(
      `$KV.${client.namespace.names.bucket}.${key}`,
      undefined,
      { headers: tombstone },
    );
  } catch (err) {
    if (!isConflict(err)) throw err;
    throw conflict(client, key, "while it was being removed");
  }
  sendEvent(client, { type: "removed", key, by: options.by });
}

/** Pauses `key` with a pause note (see `Schedule.pause`). */
export async function pauseKey(
  client: Client,
  key: string,
  options: PauseOptions,
): Promise<void> {
  validateKey(key);
  const { note, by } = options;
  checkBy(by);
  if (note !== undefined && typeof note !== "string") {
    throw new InvalidJobError("pause: note must be a string");
  }
  const paused = await pauseDefinition(client.namespace, key, {
    at: new Date().toISOString(),
    ...(note === undefined ? {} : { note }),
    ...(by === undefined ? {} : { by }),
  });
  if (paused) sendEvent(client, { type: "paused", key, by, detail: note });
}

/** Lets a paused `key` fire again (see `Schedule.resume`). */
export async function resumeKey(
  client: Client,
  key: string,
  options: WriteOptions,
): Promise<void> {
  validateKey(key);
  const { by } = options;
  checkBy(by);
  let resumed = false;
  await updateDefinition(
    client.namespace,
    key,
    ({ pause: _, by: __, ...definition }, specs) => {
      resumed = definition.paused;
      if (!resumed) return null;
      const changed = {
        ...definition,
        paused: false,
        ...(by === undefined ? {} : { by }),
      };
      assertFires(changed, specs, Date.now());
      return changed;
    },
    undefined,
    client.compile,
  );
  if (resumed) sendEvent(client, { type: "resumed", key, by });
}

/**
 * Writes the encoded definition `bytes` to `key`: whatever it held, or only if it is at
 * `expectedRevision` (`0`: only if it does not exist).
 */
async function writeDefinition(
  client: Client,
  key: string,
  bytes: Uint8Array,
  expectedRevision?: number,
) {
  const { kv } = client.namespace;
  try {
    if (expectedRevision === undefined) await kv.put(key, bytes);
    else if (expectedRevision === 0) await kv.create(key, bytes);
    else await kv.update(key, bytes, expectedRevision);
  } catch (err) {
    if (!isConflict(err)) throw err;
    throw conflict(
      client,
      key,
      expectedRevision === 0
        ? "before it: it exists"
        : `since revision ${expectedRevision}`,
    );
  }
}

/**
 * Throws when a tick of a job of `definition` is larger than the server accepts, as a
 * node sends it: with the largest revision, its fire time when jittered, a manual
 * trigger's field, and its `Nats-Msg-Id`.
 */
function assertTicksFit(
  client: Client,
  key: string,
  definition: Definition,
  maxPayload: number,
): void {
  const { anchor } = definition;
  definition.jobs.forEach((job, index) => {
    const tick = tickEncoder({
      ...job,
      namespace: namespaceOf(client),
      key,
      index,
      revision: Number.MAX_SAFE_INTEGER,
      trigger: "backfill",
    })(anchor, policyJitter(job.policy) > 0 ? anchor : undefined);
    assertFits(
      tick,
      maxPayload,
      `a tick of job ${index} of ${quoted(key)}`,
      client.namespace.names.tickId(key, index, anchor.getTime()),
    );
  });
}

function conflict(client: Client, key: string, when: string): ConflictError {
  return new ConflictError(
    `${quoted(key)} in namespace ${namespaceOf(client)} was changed ${when}: ` +
      `read it again (describe shows its revision) and retry`,
  );
}

/** Refuses the jobs of a mode that no worker of the namespace runs. */
async function checkModes(client: Client, jobs: Job[]): Promise<void> {
  const checked = new Set<string>();
  for (const [index, job] of jobs.entries()) {
    if (checked.has(job.mode)) continue;
    checked.add(job.mode);
    if (await client.namespace.knowsMode(job.mode)) continue;
    const hint = job.mode.toUpperCase() === "HTTP"
      ? ' (modes are case-sensitive: did you mean "HTTP"?)'
      : "";
    throw new InvalidJobError(
      `job ${index}: no worker of namespace ${
        namespaceOf(client)
      } handles mode "${job.mode}"${hint}: ` +
        `use "HTTP", or register a handler first with worker.handle("${job.mode}", handler)`,
    );
  }
}

/**
 * Throws when a job of a definition that is not paused never fires again after `now`.
 */
function assertFires(definition: Definition, specs: Spec[], now: number): void {
  if (definition.paused) return;
  definition.jobs.forEach((job, index) => {
    if (specs[index].next(now, definition.anchor.getTime()) === null) {
      throw new InvalidSpecError(
        `job ${index}: spec "${job.spec}" never fires again`,
      );
    }
  });
}
