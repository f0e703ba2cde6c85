import { resolve } from "node:path";
import { z } from "zod";
import { usageError } from "../errors.ts";
import type { Config } from "../schema/index.ts";
import { parseCommandLine, sameArgv } from "./argv.ts";
import { isWithin, realOrNull, scrubbedEnv } from "./env.ts";
import type { Workplan } from "./workplan.ts";

export const CommandResult = z.object({
  command: z.string(),
  argv: z.array(z.string()),
  exit_code: z.number().nullable(),
  signal: z.string().nullable(),
  timed_out: z.boolean(),
  duration_ms: z.number(),
  stdout: z.string(),
  stderr: z.string(),
  truncated: z.boolean(),
});
export type CommandResult = z.infer<typeof CommandResult>;

export type RunContext = {
  repo: string;
  /** An approved plan (see approvedPlan); its Commands section is the allowlist. */
  plan: Workplan;
  governance: Config["governance"];
  env?: Record<string, string | undefined>;
};

/** The allowlist entry a command line equals, word for word; refused otherwise. */
export const allowedArgv = (command: string, plan: Workplan): string[] => {
  const argv = parseCommandLine(command);
  for (const entry of plan.commands) {
    let allowed: string[];
    try {
      allowed = parseCommandLine(entry.command);
    } catch {
      continue; // a plan line with shell syntax can never run
    }
    if (sameArgv(argv, allowed)) return argv;
  }
  throw usageError(
    "E_COMMAND_NOT_ALLOWED",
    `command '${command.slice(0, 200)}' is not enumerated in WORKPLAN.md's Commands section`,
    "add it there and have a person approve the plan again",
  );
};

/** Keeps the head and the tail of a stream, where the command line and the error usually are. */
const bounded = async (stream: ReadableStream<Uint8Array>, limit: number) => {
  const half = Math.floor(limit / 2);
  let head = Buffer.alloc(0);
  let tail = Buffer.alloc(0);
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.length;
    const room = half - head.length;
    if (room > 0) head = Buffer.concat([head, chunk.subarray(0, room)]);
    const rest = chunk.subarray(Math.max(0, room));
    if (rest.length) tail = Buffer.concat([tail, rest]).subarray(-half);
  }
  const cut = total - head.length - tail.length;
  const text = cut > 0 ? `${head}\n[... ${cut} bytes cut ...]\n${tail}` : `${head}${tail}`;
  return { text, truncated: cut > 0 };
};

/** The plan's allowlisted commands: exact allowlist match, then `runArgv`. */
export const runAllowed = async (command: string, ctx: RunContext): Promise<CommandResult> =>
  runArgv(command, allowedArgv(command, ctx.plan), ctx);

/**
 * The only place Hyperion starts a command: no shell, a scrubbed environment, the repository as
 * cwd, never a program inside the repository, a timeout that kills the whole process group,
 * bounded output. `stdin` is handed to it whole (an alert's event); otherwise it reads nothing.
 */
export const runArgv = async (
  command: string,
  argv: string[],
  ctx: Omit<RunContext, "plan">,
  stdin?: string,
): Promise<CommandResult> => {
  const env = scrubbedEnv(ctx.repo, ctx.governance.env, ctx.env);
  const found = argv[0]!.includes("/")
    ? resolve(ctx.repo, argv[0]!)
    : Bun.which(argv[0]!, { PATH: env.PATH, cwd: ctx.repo });
  const started = performance.now();
  const notRun = (exit: number, why: string): CommandResult => ({
    command,
    argv,
    exit_code: exit,
    signal: null,
    timed_out: false,
    duration_ms: 0,
    stdout: "",
    stderr: why,
    truncated: false,
  });
  if (!found) return notRun(127, `${argv[0]}: not found on PATH`);
  // The file that would run, symlinks resolved: a program inside the repository is content an
  // agent could have written (a planted bin/bun), never the tool the plan means.
  const exe = realOrNull(found);
  if (!exe) return notRun(127, `${argv[0]}: not found`);
  const repoReal = realOrNull(ctx.repo) ?? resolve(ctx.repo);
  if (isWithin(repoReal, exe) || isWithin(resolve(ctx.repo), exe)) {
    return notRun(126, `${argv[0]}: refused: ${exe} is inside the repository, which agents can write`);
  }
  // Started by the name found (multi-call programs such as bunx read it), checked by its target above.
  const proc = Bun.spawn([found, ...argv.slice(1)], {
    cwd: ctx.repo,
    env,
    stdin: stdin === undefined ? "ignore" : new Blob([stdin]),
    stdout: "pipe",
    stderr: "pipe",
    detached: true,
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-proc.pid, "SIGKILL");
    } catch {
      proc.kill("SIGKILL");
    }
  }, ctx.governance.command_timeout_ms);
  const limit = ctx.governance.output_limit_bytes;
  const [out, err, exitCode] = await Promise.all([
    bounded(proc.stdout, limit),
    bounded(proc.stderr, limit),
    proc.exited,
  ]);
  clearTimeout(timer);
  return {
    command,
    argv,
    exit_code: timedOut ? null : exitCode,
    signal: proc.signalCode == null ? null : String(proc.signalCode),
    timed_out: timedOut,
    duration_ms: Math.round(performance.now() - started),
    stdout: out.text,
    stderr: err.text,
    truncated: out.truncated || err.truncated,
  };
};

/** The plan's validation commands (Validation policy), run in order until one fails. */
export const runValidation = async (ctx: RunContext): Promise<{ ok: boolean; results: CommandResult[] }> => {
  const results: CommandResult[] = [];
  for (const command of ctx.plan.metadata.validationPolicy?.commands ?? []) {
    const r = await runAllowed(command, ctx);
    results.push(r);
    if (r.exit_code !== 0) return { ok: false, results };
  }
  return { ok: true, results };
};
