/**
 * The admin commands of the executable: manage and inspect the schedules of a namespace
 * through the client, without writing code.
 *
 * @module
 */

import { Command } from "commander";
import type { Schedule } from "../client/schedule.ts";
import { listProcesses, type ProcessStatus } from "../ops/mod.ts";
import { nextRuns } from "../spec/spec.ts";
import { validateTimeZone } from "../spec/zone.ts";
import { ScheduleError } from "../errors.ts";
import { type GlobalFlags, withNats, withSchedule } from "./context.ts";
import { type OutputFlags, print, type Shown, withOutput } from "./output.ts";
import {
  change,
  get,
  history,
  list,
  type PauseFlags,
  set,
  setArgs,
  type SetFlags,
  type ShowFlags,
} from "./schedule_commands.ts";
import {
  backfill,
  describe,
  type FireFlags,
  follow,
  revisions,
  trigger,
} from "./governance_commands.ts";
import { jobsFromFlags } from "./jobs_input.ts";
import { span } from "./time.ts";
import { wholeNumber } from "./usage.ts";

/** Every flag an admin command may have, global ones included. */
type Flags =
  & GlobalFlags
  & OutputFlags
  & ShowFlags
  & SetFlags
  & PauseFlags
  & FireFlags
  & {
    count?: string;
    limit?: string;
  };

/**
 * The admin commands, in the order of the help.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { adminCommands } from "./admin.ts";
 *
 * assert.deepEqual(adminCommands().map((command) => command.name()), [
 *   "ls", "get", "describe", "revisions", "set", "rm", "pause", "resume",
 *   "trigger", "backfill", "history", "events", "next", "nodes",
 * ]);
 * ```
 */
export function adminCommands(): Command[] {
  return ADMIN_COMMANDS.flatMap((build) => build());
}

/** The builders of the admin commands, in the order of the help. */
const ADMIN_COMMANDS: (() => Command | Command[])[] = [
  lsCommand,
  getCommand,
  describeCommand,
  revisionsCommand,
  setCommand,
  changeCommands,
  triggerCommand,
  backfillCommand,
  historyCommand,
  eventsCommand,
  nextCommand,
  nodesCommand,
];

const SECRETS = "print header values and URL credentials instead of ***";
const ZONE = "show times absolute, in each job's zone";

/**
 * The action of a command about one key: runs `run` on the namespace's schedules and
 * shows what it returns.
 */
function onKey(
  run: (schedule: Schedule, key: string, flags: Flags) => Promise<Shown>,
): (key: string, _: unknown, command: Command) => Promise<void> {
  return (key, _, command) =>
    show(command, (flags) => withSchedule(flags, (s) => run(s, key, flags)));
}

/** A command about one key, with the output flags. */
function keyed(name: string, description: string): Command {
  return withOutput(
    new Command(name).description(description).argument("<KEY>"),
  );
}

function lsCommand(): Command {
  return withOutput(new Command("ls"))
    .description(
      "list the schedules: spec, zone, paused, next and last fire time, last result",
    )
    .option("--show-secrets", SECRETS)
    .option("--zone", ZONE)
    .action((_, command) =>
      show(command, (flags) => withSchedule(flags, (s) => list(s, flags)))
    );
}

function getCommand(): Command {
  return keyed(
    "get",
    "the jobs of KEY: target, next and last fire time, last result",
  )
    .option("--show-secrets", SECRETS)
    .option("--zone", ZONE)
    .action(onKey(get));
}

function describeCommand(): Command {
  return keyed(
    "describe",
    "everything about KEY: pause note, revision, next times, recent runs, counts",
  )
    .option("--show-secrets", SECRETS)
    .action(onKey(describe));
}

function revisionsCommand(): Command {
  return keyed("revisions", "the writes to KEY the bucket keeps, newest first")
    .option("--show-secrets", SECRETS)
    .option("--zone", ZONE)
    .action(onKey(revisions));
}

function setCommand(): Command {
  const command = keyed(
    "set",
    "define KEY as one HTTP job, or as the jobs of a file",
  );
  return policyOptions(writeOptions(jobOptions(command)))
    .action((key, _, command) =>
      show(command, async (flags) => {
        const args = setArgs(key, await jobsFromFlags(flags), flags);
        return await withSchedule(flags, (s) => set(s, key, args), true);
      })
    );
}

/** The flags of `set` that make its HTTP job, or name a file of jobs. */
function jobOptions(command: Command): Command {
  return command
    .option(
      "--spec <spec>",
      "when it fires: a cron spec, descriptor or @every",
    )
    .option("--url <url>", "the URL it calls")
    .option("--method <method>", "the HTTP method (default POST)")
    .option("--header <name=value>", "a request header (repeatable)", collect)
    .option(
      "--secret-header <name=secret>",
      "a header whose value only workers hold: the name of their secret (repeatable)",
      collect,
    )
    .option("--body <json>", "the request body, as JSON")
    .option("--tz <zone>", "the IANA zone the spec is read in (default UTC)")
    .option(
      "--timeout <duration>",
      "the request timeout (default: the worker's)",
    )
    .option("--file <path>", "a YAML or JSON job or list of jobs, instead");
}

/** The flags of `set` about the write itself. */
function writeOptions(command: Command): Command {
  return command
    .option("--paused", "define KEY paused: it fires once resumed")
    .option(
      "--expected-revision <n>",
      "write only if KEY is at this revision (describe shows it; 0: only if new)",
    );
}

/** The flags of `set` that make the job's run policy. */
function policyOptions(command: Command): Command {
  return command
    .option("--overlap <policy>", "allow, skip, buffer or cancel")
    .option("--catchup <policy>", "all, latest or none")
    .option("--catchup-window <duration>", "how late a tick may still fire")
    .option(
      "--jitter <duration>",
      "a delay in [0, jitter) added to each tick",
    )
    .option("--start <time>", "no tick before this ISO 8601 time")
    .option("--end <time>", "no tick after this ISO 8601 time")
    .option("--max-runs <n>", "stop firing after this many ticks")
    .option("--retry-max-attempts <n>", "tries per tick, the first included")
    .option("--retry-delay <duration>", "the first retry's delay")
    .option("--retry-max-delay <duration>", "the longest retry delay")
    .option(
      "--pause-after-failures <n>",
      "pause KEY after this many failed ticks in a row",
    );
}

/** `rm`, `pause` and `resume`. */
function changeCommands(): Command[] {
  return (["rm", "pause", "resume"] as const).map((name) => {
    const command = keyed(
      name,
      {
        rm: "delete KEY",
        pause: "stop KEY firing, keeping it",
        resume: "let KEY fire again (ticks due while paused are not fired)",
      }[name],
    );
    if (name === "pause") command.option("--note <text>", "why");
    return command.action(
      onKey((s, key, flags) => change(s, name, key, flags)),
    );
  });
}

function triggerCommand(): Command {
  return keyed("trigger", "run a job of KEY now, outside its spec")
    .option("--index <n>", "the job's position (default 0)")
    .action(onKey(trigger));
}

function backfillCommand(): Command {
  return keyed(
    "backfill",
    "fire the ticks of KEY in a past range (times that ran are not run again)",
  )
    .option(
      "--from <time>",
      "the range's start: ISO 8601, now or now-<duration>",
    )
    .option("--to <time>", "the range's end, included")
    .option("--index <n>", "only this job (default: every job)")
    .action(onKey(backfill));
}

function historyCommand(): Command {
  return keyed("history", "the last executions of KEY's jobs, newest first")
    .option("--limit <n>", "how many (default 20)")
    .option("--zone", ZONE)
    .action((key, _, command) =>
      show(command, (flags) => {
        const limit = wholeNumber("--limit", flags.limit ?? "20", 1);
        return withSchedule(flags, (s) => history(s, key, limit));
      })
    );
}

function eventsCommand(): Command {
  return withOutput(new Command("events"))
    .description(
      "follow the events of the namespace until Ctrl-C (-o json: one line each)",
    )
    .action((_, command: Command) => {
      const flags = command.optsWithGlobals<Flags>();
      return withSchedule(flags, async (s) => {
        const stop = new AbortController();
        const abort = () => stop.abort();
        Deno.addSignalListener("SIGINT", abort);
        Deno.addSignalListener("SIGTERM", abort);
        try {
          await follow(s, flags, stop.signal);
        } finally {
          Deno.removeSignalListener("SIGINT", abort);
          Deno.removeSignalListener("SIGTERM", abort);
        }
      });
    });
}

function nextCommand(): Command {
  return withOutput(new Command("next"))
    .description("preview the next fire times of SPEC (needs no NATS)")
    .argument("<SPEC>")
    .option("-n, --count <n>", "how many (default 5)")
    .option("--tz <zone>", "the IANA zone the spec is read in (default UTC)")
    .action((spec, _, command) =>
      show(command, (flags) => Promise.resolve(next(spec, flags)))
    );
}

function nodesCommand(): Command {
  return withOutput(new Command("nodes"))
    .description("the live nodes and workers of the namespace")
    .action((_, command) =>
      show(command, (flags) =>
        withNats(flags, async (nc, { namespace }) => {
          const statuses = await listProcesses(nc, namespace);
          if (statuses.length === 0) {
            console.error(
              `schedule: no node or worker answered in namespace ${namespace}`,
            );
          }
          return nodes(statuses);
        }))
    );
}

/** Runs what a command shows and prints it in the format of its flags. */
async function show(
  command: Command,
  shown: (flags: Flags) => Promise<Shown>,
): Promise<void> {
  const flags = command.optsWithGlobals<Flags>();
  const result = await shown(flags);
  print(result, flags);
  if (result.failure !== undefined) throw new ScheduleError(result.failure);
}

/** Collects the values of a repeatable flag. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...previous ?? [], value];
}

function next(spec: string, flags: Flags): Shown {
  const count = wholeNumber("-n", flags.count ?? "5", 1);
  // Checked as set checks a job's tz: `CRON_TZ= ` alone would read "" as UTC.
  if (flags.tz !== undefined) validateTimeZone(flags.tz);
  const source = flags.tz === undefined ? spec : `CRON_TZ=${flags.tz} ${spec}`;
  const runs = nextRuns(source, count).map((date) => date.toISOString());
  return { value: runs, rows: () => [["NEXT"], ...runs.map((run) => [run])] };
}

function nodes(statuses: ProcessStatus[]): Shown {
  return {
    value: statuses,
    rows: () => [
      ["ROLE", "ID", "VERSION", "UPTIME", "DETAILS"],
      ...statuses.map((
        { role, id, version, uptime, namespace: _, ...details },
      ) => [
        role,
        id,
        version,
        span(uptime * 1000),
        Object.entries(details).map(([k, v]) => `${k}=${v}`).join(" "),
      ]),
    ],
  };
}
