/**
 * Reading schedules: the keys of a namespace, the jobs of a key with their state, and
 * the run history.
 *
 * @module
 */

import {
  decodeDefinition,
  decodeRunRecord,
  decodeTick,
  definedRevision,
  ofDefinition,
} from "../wire/mod.ts";
import { ConfigError } from "../errors.ts";
import { validateKey } from "../nats/names.ts";
import { firstTickAfter } from "../spec/ticks.ts";
import type { JobInfo, RunRecord } from "../types.ts";
import { type Client, lastValid, readEntry, readStream } from "./_util.ts";

/** The keys of the namespace, sorted. */
export async function listKeys(client: Client): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of await client.namespace.kv.keys()) keys.push(key);
  return keys.sort();
}

/** The jobs of `key` with their state (see `Schedule.get`). */
export async function getJobs(client: Client, key: string): Promise<JobInfo[]> {
  const entry = await readEntry(client, key);
  const { definition, specs } = decodeDefinition(
    entry.value,
    client.compile,
  );
  const revision = definedRevision(definition, entry.revision);
  const now = Date.now();
  return await Promise.all(definition.jobs.map(async (job, index) => {
    const next = definition.paused ? null : firstTickAfter(
      specs[index],
      definition,
      entry.created.getTime(),
      now,
      job.policy,
    );
    const [prev, lastRun] = await Promise.all([
      prevTick(client, key, index, revision),
      lastRunOf(client, key, index, revision),
    ]);
    return {
      ...job,
      state: {
        next: next === null ? null : new Date(next),
        prev,
        lastRun,
        paused: definition.paused,
      },
    };
  }));
}

/** The recorded executions of the jobs of `key`, newest first, at most `limit`. */
export async function runHistory(
  client: Client,
  key: string,
  options: { limit?: number },
): Promise<RunRecord[]> {
  validateKey(key);
  const limit = options.limit ?? 20;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new ConfigError(
      `history: limit must be a whole number from 0, not ${limit}`,
    );
  }
  if (limit === 0) return [];
  const { names } = client.namespace;
  const runs: RunRecord[] = [];
  for await (
    const run of readStream(
      client,
      names.runStream,
      names.runSubjectsOf(key),
      decodeRunRecord,
    )
  ) {
    runs.push(run);
    if (runs.length > limit) runs.shift();
  }
  return runs.reverse();
}

/**
 * The last run a worker recorded for job `index` of definition `revision` of `key`:
 * the job's last record, else (when that one is of another definition, or not a record)
 * the last of this definition in the job's history.
 */
function lastRunOf(
  client: Client,
  key: string,
  index: number,
  revision: number,
): Promise<RunRecord | null> {
  const { names } = client.namespace;
  return lastValid(
    client,
    names.runStream,
    names.runSubject(key, index),
    decodeRunRecord,
    (run) => ofDefinition(run, revision),
    () => true,
  );
}

/**
 * The scheduled time of the last tick of job `index` of `key` in the queue, when it is
 * of definition `revision`.
 */
async function prevTick(
  client: Client,
  key: string,
  index: number,
  revision: number,
): Promise<Date | null> {
  const { names } = client.namespace;
  const tick = await lastValid(
    client,
    names.jobStream,
    names.jobSubject(key, index),
    decodeTick,
    (tick) => ofDefinition(tick, revision),
  );
  return tick?.scheduledAt ?? null;
}
