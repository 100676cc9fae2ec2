/**
 * The command line of the executable, on commander: registers the services and the admin
 * commands, runs the one asked for, and turns the outcome into an exit code.
 *
 * @module
 */

import { Command, CommanderError } from "commander";
import { runService, VERSION } from "../ops/mod.ts";
import { ignoreDiscardedSocketResets } from "../nats/connect.ts";
import { ScheduleError } from "../errors.ts";
import { redactCredentials } from "../ops/redact.ts";
import type { Role } from "../types.ts";
import { adminCommands } from "./admin.ts";
import { runConsole } from "../console/mod.ts";
import { cliConfig, type GlobalFlags } from "./context.ts";
import { type DevOptions, runDev } from "./dev.ts";
import { UsageError } from "./usage.ts";

/**
 * Runs the command line; returns the exit code: 0 ok, 1 failure (printed on standard
 * error), 2 bad arguments (one line, and how to get help). With no command, runs a node.
 *
 * @example
 * ```ts ignore
 * Deno.exit(await main(["ls", "--config", "config/config.yml"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  ignoreDiscardedSocketResets();
  const root = program();
  let current = root;
  root.hook("preSubcommand", (_, sub) => void (current = sub));
  try {
    await root.parseAsync(args, { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : usage(current, problem(err, current));
    }
    if (err instanceof UsageError) return usage(current, err.message);
    console.error(`schedule: ${errorLine(err)}`);
    return 1;
  }
}

/**
 * The one line a failed command prints: a {@link ScheduleError}'s message; any other
 * error's (a permission the server refused, a timeout, a connection lost during the
 * command) with its kind, URL credentials masked. Never a stack trace.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ScheduleError } from "../errors.ts";
 * import { errorLine } from "./main.ts";
 * assert.equal(errorLine(new ScheduleError("no key k")), "no key k");
 * assert.equal(
 *   errorLine(new TypeError("bad\nnats://u:p@h:4222")),
 *   "TypeError: bad nats://***@h:4222",
 * );
 * ```
 */
export function errorLine(err: unknown): string {
  if (err instanceof ScheduleError) return err.message;
  const text = err instanceof Error
    ? `${err.name}: ${err.message}`
    : String(err);
  return redactCredentials(text).replaceAll(/\s*\n\s*/g, " ");
}

/** The command line: the one place where commands are registered, in help order. */
function program(): Command {
  const root = rootCommand();
  const commands: [string, Command[]][] = [
    ["Services (run until SIGINT or SIGTERM):", [
      service("node", "publish the ticks of the namespace (the default)")
        .alias("serve"),
      service("worker", "execute the jobs of the namespace"),
      consoleCommand(),
      devCommand(),
    ]],
    ["Admin commands:", adminCommands()],
    ["Other commands:", [
      new Command("version").description("print the version").action(() =>
        console.log(VERSION)
      ),
    ]],
  ];
  for (const [group, list] of commands) {
    root.commandsGroup(group);
    for (const command of list) {
      root.addCommand(command.copyInheritedSettings(root));
    }
  }
  return root.helpCommand("help [command]", "print the help of a command");
}

/** The root command: its global flags, help and output, and the node it runs alone. */
function rootCommand(): Command {
  return new Command("schedule")
    .description(`schedule ${VERSION}: a distributed cron on NATS JetStream`)
    .option(
      "--config <path>",
      "the YAML config file (default ./config/config.yml)",
    )
    .option("--namespace <name>", "the namespace, instead of the config's")
    .option("-s, --server <urls>", "the NATS URLs, instead of the config's")
    .option("--by <name>", "who makes a change, kept with it (default $USER)")
    .version(VERSION, "-V, --version", "print the version")
    .helpOption("-h, --help", "print the help")
    .configureHelp({ showGlobalOptions: true })
    .showSuggestionAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: writer(Deno.stdout),
      writeErr: writer(Deno.stderr),
      outputError: () => {}, // main prints errors its own way
    })
    .addHelpText(
      "after",
      "\nWith no command, runs a node. SCHEDULE_* environment variables override the config\nfile (see the README); --namespace and --server override both.",
    )
    .action((_, command) => serve("node", command));
}

/** `console`: the web console of the namespace. */
function consoleCommand(): Command {
  return new Command("console")
    .description(
      "the web console of the namespace (console.port, default 8090)",
    )
    .action(async (_, command: Command) =>
      runConsole(await cliConfig(command.optsWithGlobals<GlobalFlags>()))
    );
}

/** `dev`: a nats-server, a node and a worker on this machine. */
function devCommand(): Command {
  return new Command("dev")
    .description(
      "a nats-server, a node and a worker on this machine, for development",
    )
    .option(
      "--data <dir>",
      "the nats-server's data folder (default .schedule-dev)",
    )
    .option(
      "--port <n>",
      "the NATS port, 0 for any free one (default 4222)",
    )
    .action((options: DevOptions, command: Command) => {
      const { config, namespace, server, by } = command.optsWithGlobals<
        GlobalFlags
      >();
      const globals = { config, namespace, server, by };
      return runDev([], options, globals, Deno.env.toObject());
    });
}

function service(role: Role, description: string): Command {
  return new Command(role).description(description).action((_, command) =>
    serve(role, command)
  );
}

async function serve(role: Role, command: Command): Promise<void> {
  await runService(
    role,
    await cliConfig(command.optsWithGlobals<GlobalFlags>()),
  );
}

/** Commander's error in the words of this command line. */
function problem(err: CommanderError, command: Command): string {
  const quoted = /'([^']*)'/.exec(err.message)?.[1];
  const name = command.parent ? command.name() : undefined;
  switch (err.code) {
    case "commander.unknownOption":
      return `unknown flag ${quoted}${name ? ` for ${name}` : ""}`;
    case "commander.unknownCommand":
      return `unknown command ${quoted}`;
    case "commander.excessArguments":
    case "commander.missingArgument": {
      if (!name) return `unknown command ${command.args[0]}`;
      const args = command.registeredArguments.map((arg) => arg.name());
      return `${name} takes ${args.join(" ") || "no argument"}`;
    }
  }
  return err.message.replace(/^error: /, "");
}

function usage(command: Command, problem: string): number {
  const path = command.parent ? `schedule ${command.name()}` : "schedule";
  console.error(`schedule: ${problem}\nRun '${path} --help' for usage.`);
  return 2;
}

/** Writes all of `text` to `stream` at once, so nothing is lost on `Deno.exit`. */
function writer(stream: { writeSync(p: Uint8Array): number }) {
  return (text: string) => {
    const bytes = new TextEncoder().encode(text);
    for (let at = 0; at < bytes.length;) {
      at += stream.writeSync(bytes.subarray(at));
    }
  };
}
