import { randomUUID } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { usageError } from "../../errors.ts";
import { log } from "../../log.ts";
import type { HarnessConfig } from "../../schema/index.ts";
import type { SessionRow } from "../../store/index.ts";
import type { AgentHarness, TurnRequest, TurnResult } from "../harness.ts";
import { agentsDir, type SessionStore, sessionDir, sessionFor, withSessionLock } from "../session.ts";
import { fillWorkspace, readWorkspace, workspacePrompt } from "../workspace.ts";
import { childEnv } from "./env.ts";
import { missingCli, runFailure } from "./errors.ts";
import { runChild } from "./spawn.ts";
import type { ArgvInput, CliSpec } from "./spec.ts";

export type HarnessOptions = {
  /** The repository root; agents never work in it, only under .hyperion/agents/. */
  repo: string;
  /** `agents.<name>` of the config. */
  config: HarnessConfig;
  /** The stored sessions (agent_sessions); without them every turn is a fresh session. */
  sessions?: SessionStore;
  /** A session the request pinned (`--session N`): every turn uses it. */
  pinned?: SessionRow;
  /** The operator's environment, of which only PATH, locale and the forwarded variables pass. */
  env?: Record<string, string | undefined>;
};

/** The executable a harness runs: config's command, else the CLI's name, looked up on PATH. */
export const resolveBin = (spec: CliSpec, config: HarnessConfig, env: Record<string, string | undefined>) => {
  const bin = config.command ?? spec.bin;
  if (!bin) {
    throw usageError(
      "E_CONFIG",
      "the command harness needs agents.command.command (the executable) in .hyperion/config.json",
      "set agents.command.command and agents.command.template",
    );
  }
  const found =
    isAbsolute(bin) || bin.includes("/") ? resolve(bin) : Bun.which(bin, { PATH: env.PATH ?? "" });
  if (!found || !Bun.file(found).size) throw missingCli(spec, bin);
  return found;
};

/**
 * Linux refuses one argument over 128 KiB (MAX_ARG_STRLEN), and every CLI takes its prompt as an
 * argument: a longer prompt goes into the scratch directory, under `.hyperion/` (a path no task
 * can own, so workspace diffs never see it), and the argument points the agent at it.
 */
const MAX_PROMPT_ARG = 100_000;
export const PROMPT_FILE = ".hyperion/PROMPT.md";

const promptArg = (prompt: string, work: string): string => {
  if (Buffer.byteLength(prompt) <= MAX_PROMPT_ARG) return prompt;
  mkdirSync(join(work, ".hyperion"), { recursive: true });
  writeFileSync(join(work, PROMPT_FILE), prompt);
  return `Your instructions are too long for the command line: they are in the file ${PROMPT_FILE} of your working directory. Read all of it first, then follow it exactly.`;
};

/** The session argument of a run: create it under an id Hyperion chose, resume it, or let the CLI name it. */
const sessionArg = (spec: CliSpec, stored: SessionRow | null): ArgvInput["session"] => {
  if (stored?.started && stored.resume_token) return { id: stored.resume_token, resume: true };
  if (spec.namesSessions === "cli") return null;
  return { id: stored?.resume_token ?? randomUUID(), resume: false };
};

/**
 * One harness for any coding CLI, driven by its table entry (lib/agents/harness/clis/): a private
 * HOME per session under .hyperion/agents/<session>/home, a scratch working directory per turn,
 * an environment of only the forwarded variables, an empty stdin, and the CLI's own output format.
 */
export const createCliHarness = (spec: CliSpec, opts: HarnessOptions): AgentHarness => {
  const env = opts.env ?? process.env;
  const cfg = opts.config;
  const forward = [...(cfg.env ?? spec.env), ...cfg.env_extra];
  // Refuse a missing executable or an unset command before any turn runs.
  const bin = resolveBin(spec, cfg, env);
  if (spec.name === "command" && !cfg.template) {
    throw usageError(
      "E_CONFIG",
      "the command harness needs agents.command.template (its argv, with {prompt})",
      'e.g. "template": ["--print", "{prompt}"]',
    );
  }

  const turn = async (req: TurnRequest): Promise<TurnResult> => {
    const chosen = sessionFor(spec.name, req.role, opts);
    const name = chosen?.name ?? `turn-${randomUUID()}`;
    return withSessionLock(name, async () => {
      // Read again under the lock: the turn before may have started the session.
      const stored = chosen && (opts.sessions?.get(chosen.name) ?? chosen);
      const base = sessionDir(opts.repo, name);
      const home = join(base, "home");
      const work = join(base, "work", randomUUID().slice(0, 8));
      mkdirSync(home, { recursive: true, mode: 0o700 });
      const workspace = cfg.mode === "workspace" && req.role === "developer";
      if (req.role === "developer" && workspace) fillWorkspace(work, req.input.files);
      else mkdirSync(work, { recursive: true, mode: 0o700 });
      const session = sessionArg(spec, stored);
      const argv = [
        bin,
        ...spec.argv({
          prompt: promptArg(
            req.role === "developer" && workspace ? workspacePrompt(req.input) : req.prompt,
            work,
          ),
          workdir: work,
          home,
          model: cfg.model,
          session,
          writes: workspace,
          allowAllTools: cfg.allow_all_tools || stored?.allow_all_tools === 1,
          allowTools: cfg.allow_tools,
          denyTools: cfg.deny_tools,
          args: cfg.args,
          template: cfg.template,
        }),
      ];
      log.debug(`${spec.name} ${req.role}: session ${name}, in ${work}`);
      try {
        const childEnvVars = childEnv({
          from: env,
          forward,
          home,
          homeVars: spec.homeVars,
          cache: join(agentsDir(opts.repo), "_cache"),
          ceiling: dirname(work),
        });
        const run = await runChild(argv, { cwd: work, env: childEnvVars, signal: req.signal });
        log.debug(
          `${spec.name} ${req.role}: exit ${run.exitCode}\nstdout:\n${run.stdout.slice(-8_000)}\nstderr:\n${run.stderr.slice(-4_000)}`,
        );
        const parsed = spec.parse(run.stdout);
        const failure = runFailure(spec, run, parsed, session?.id);
        if (failure) throw failure;
        const resume = parsed.sessionId ?? session?.id;
        if (stored) opts.sessions?.markUsed(stored.name, Date.now(), resume ?? null);
        const result: TurnResult = {
          text: parsed.text,
          usage: parsed.usage,
          ...(resume ? { session: { resume } } : {}),
        };
        if (req.role !== "developer" || !workspace) return result;
        const { output, discarded } = readWorkspace(work, req.input, parsed.text);
        if (discarded.length > 0) {
          log.warn(
            `developer turn for ${req.input.task.id}: ${spec.name} wrote outside its task's files; discarded, never applied: ${discarded.join(", ")}`,
          );
        }
        return { ...result, json: output, discarded };
      } finally {
        rmSync(stored ? work : base, { recursive: true, force: true });
      }
    });
  };

  return { name: spec.name, timeoutMs: cfg.timeout_ms, turn };
};
