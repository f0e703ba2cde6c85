import { type ArgsDef, type CommandDef, renderUsage, runCommand } from "citty";
import { z } from "zod";
import { EXIT, HyperionError, usageError } from "../lib/errors.ts";
import { log, logTo } from "../lib/log.ts";
import { type Io, io, out, processIo, say, withIo } from "./_io.ts";

// A command parses most schemas once or a few times: compiling each one's fast path on its first
// parse (zod's default) costs more than it saves (Config's first parse: 6 ms against 3).
z.config({ jitless: true });

// biome-ignore lint/suspicious/noExplicitAny: any command, whatever its args
type AnyCommand = CommandDef<any>;

const resolve = async <T>(v: T | Promise<T> | (() => T | Promise<T>)): Promise<T> =>
  typeof v === "function" ? await (v as () => T | Promise<T>)() : await v;

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Walks the subcommand chain the way citty does, so help and flag checks see the leaf command. */
const resolveLeaf = async (root: AnyCommand, argv: string[]) => {
  let cmd = root;
  let parent: AnyCommand | undefined;
  let rest = argv;
  const path: string[] = [];
  for (;;) {
    const subs = cmd.subCommands ? await resolve(cmd.subCommands) : undefined;
    if (!subs || Object.keys(subs).length === 0) break;
    const i = rest.findIndex((a) => !a.startsWith("-"));
    const name = i === -1 ? undefined : rest[i];
    if (name === undefined) break;
    if (!Object.hasOwn(subs, name)) {
      throw usageError(
        "E_USAGE",
        `unknown command '${[...path, name].join(" ")}'`,
        "run `hyperion --help` for the list",
      );
    }
    parent = cmd;
    cmd = (await resolve(subs[name])) as AnyCommand;
    path.push(name);
    rest = rest.slice(i + 1);
  }
  return { cmd, parent, rest, path };
};

/** citty accepts any flag; Hyperion refuses the ones a command does not define. */
const checkFlags = async (cmd: AnyCommand, argv: string[], path: string[]) => {
  const defs = (cmd.args ? await resolve(cmd.args) : {}) as ArgsDef;
  const known = new Set<string>(["help", "h"]);
  const booleans = new Set<string>();
  let positionals = 0;
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === "positional") {
      positionals++;
      continue;
    }
    for (const n of [name, kebab(name), ...("alias" in def ? [def.alias ?? []].flat() : [])]) {
      known.add(n);
      if (def.type === "boolean") booleans.add(n);
    }
  }
  const where = path.length ? `hyperion ${path.join(" ")}` : "hyperion";
  let seenPositionals = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      seenPositionals += argv.length - i - 1;
      break;
    }
    if (a === "-" || !a.startsWith("-")) {
      seenPositionals++;
      continue;
    }
    const name = a.replace(/^--?/, "").split("=")[0]!;
    const bare = name.startsWith("no-") && booleans.has(name.slice(3)) ? name.slice(3) : name;
    if (!known.has(bare)) {
      throw usageError(
        "E_USAGE",
        `unknown option '${a.split("=")[0]}' for ${where}`,
        `run \`${where} --help\``,
      );
    }
    const takesValue = !booleans.has(bare) && bare !== "help" && bare !== "h";
    if (takesValue && !a.includes("=")) i++;
  }
  const hasSubs = cmd.subCommands !== undefined;
  if (!hasSubs && seenPositionals > positionals) {
    throw usageError("E_USAGE", `too many arguments for ${where}`, `run \`${where} --help\``);
  }
};

/** Prints one line for an error and returns its exit code; a stack only with HYPERION_LOG=1. */
export const report = (e: unknown): number => {
  if (e instanceof HyperionError) {
    say(e.oneLine());
    if (e.cause) log.debug(e.cause);
    return e.exitCode;
  }
  const name = (e as { name?: string })?.name;
  if (name === "CLIError") {
    // citty colours its messages whatever the terminal; one plain line is the contract.
    say(`E_USAGE: ${Bun.stripANSI((e as Error).message)} (run \`hyperion --help\`)`);
    return EXIT.usage;
  }
  say(`E_INTERNAL: ${(e as Error)?.message ?? String(e)} (rerun with HYPERION_LOG=1 for details)`);
  log.debug(e);
  return EXIT.failure;
};

/** `--json` is `--format json` for a command that has that format. */
const jsonFlag = async (cmd: AnyCommand, argv: string[]): Promise<string[]> => {
  if (!argv.includes("--json")) return argv;
  const defs = (cmd.args ? await resolve(cmd.args) : {}) as ArgsDef;
  const format = defs.format as { options?: string[] } | undefined;
  if (!format?.options?.includes("json")) return argv;
  return argv.flatMap((a) => (a === "--json" ? ["--format", "json"] : [a]));
};

const run = async (root: AnyCommand, argv: string[]): Promise<number> => {
  const meta = root.meta ? await resolve(root.meta) : undefined;
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v") && meta?.version) {
    out(meta.version);
    return EXIT.ok;
  }
  const { cmd, parent, rest: given, path } = await resolveLeaf(root, argv);
  if (
    given.includes("--help") ||
    given.includes("-h") ||
    (cmd.subCommands && !cmd.run && given.length === 0)
  ) {
    const usage = await renderUsage(cmd, parent);
    out(io().stdout.isTTY ? usage : Bun.stripANSI(usage));
    return EXIT.ok;
  }
  const rest = await jsonFlag(cmd, given);
  await checkFlags(cmd, rest, path);
  // Run the leaf itself: citty drops a subcommand's return value, which carries the exit code.
  const result = await runCommand(cmd, { rawArgs: rest });
  return typeof result.result === "number" ? result.result : EXIT.ok;
};

/**
 * The one catch: runs a command (the root or a single command file executed directly) with
 * `streams` as its stdout, stderr and stdin, turns Hyperion's errors into one line on stderr,
 * waits until both streams have drained and returns the exit code. Nothing here exits.
 */
export const main = async (root: AnyCommand, argv: string[], streams: Io = io()): Promise<number> =>
  withIo(streams, async () => {
    const verbose = argv.includes("--verbose");
    const restoreLog = logTo((t) => streams.stderr.write(t), verbose || process.env.HYPERION_LOG === "1");
    let code: number;
    try {
      code = await run(
        root,
        argv.filter((a) => a !== "--verbose"),
      );
    } catch (e) {
      code = report(e);
    } finally {
      restoreLog();
    }
    await Promise.all([streams.stdout.flush(), streams.stderr.flush()]);
    return code;
  });

/** A command run as a program: the process's own streams and arguments, then exit with its code. */
export const cli = async (root: AnyCommand): Promise<never> =>
  process.exit(await main(root, process.argv.slice(2), processIo()));
