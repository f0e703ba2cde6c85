import { randomUUID } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { usageError } from "../../errors.ts";
import { log } from "../../log.ts";
import type { AgentsConfig, CodexConfig, HarnessConfig } from "../../schema/index.ts";
import { isWithin, realOrResolved, type SessionRow } from "../../store/index.ts";
import type { AgentHarness, TurnRequest, TurnResult } from "../harness.ts";
import {
  type AgentJob,
  type AgentRunner,
  bwrapPath,
  bwrapRunner,
  checkBwrap,
  decoyWrites,
  directRunner,
  installDirs,
  outOfBandWrite,
  treeChanges,
  treeState,
} from "../sandbox/index.ts";
import {
  agentsDir,
  holdSessionDir,
  moveLegacyAgents,
  type SessionStore,
  sessionDir,
  sessionFor,
  withSessionLock,
} from "../session.ts";
import { fillWorkspace, readWorkspace, workspacePrompt } from "../workspace.ts";
import { childEnv } from "./env.ts";
import { missingCli, noProgress, runFailure } from "./errors.ts";
import { type ArgvInput, type CliSpec, isCredential } from "./spec.ts";

export type HarnessOptions = {
  /** The repository root; agents never see it: they work in copies under its state directory. */
  repo: string;
  /** `agents.<name>` of the config. */
  config: HarnessConfig | CodexConfig;
  /** `agents.sandbox`: bubblewrap around every agent process (default), or nothing (`off`). */
  sandbox?: AgentsConfig["sandbox"];
  /**
   * Whether the queue applied a change to this path since `since` (ms): the live-tree check
   * after each turn tells Hyperion's own writes (a `run` draining the queue meanwhile) from an agent's.
   */
  appliedSince?: (path: string, since: number) => boolean;
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

/** A temporary directory inside the private home (created; as private as the home). */
const privateTmp = (home: string, dir: string): string => {
  const tmp = join(home, dir);
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  return tmp;
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Writes the CLI's settings file: Hyperion's own, the operator's over them (objects merged one level deep). */
const writeSettings = (spec: CliSpec, cfg: HarnessConfig, home: string): void => {
  if (!spec.settings) return;
  const merged: Record<string, unknown> = { ...spec.settings.base };
  for (const [k, v] of Object.entries(cfg.settings ?? {}))
    merged[k] = isObject(v) && isObject(merged[k]) ? { ...merged[k], ...v } : v;
  const file = join(home, spec.settings.file);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`, { mode: 0o600 });
};

/** A session id that is not in the CLI's own form (an option such as `--dangerously-skip-permissions`). */
export const badSessionId = (spec: CliSpec, id: string, where: string) =>
  usageError(
    "E_SESSION_TOKEN",
    `${JSON.stringify(id.slice(0, 80))} is not a ${spec.name} session id (${where})`,
    spec.sessionId.source.includes("0-9a-f]{8}")
      ? `${spec.name} session ids are UUIDs (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)`
      : "use letters, digits, dots, dashes, colons or underscores, starting with a letter or digit",
  );

/** The session argument of a run: create it under an id Hyperion chose, resume it, or let the CLI name it. */
const sessionArg = (spec: CliSpec, stored: SessionRow | null): ArgvInput["session"] => {
  const session =
    stored?.started && stored.resume_token
      ? { id: stored.resume_token, resume: true }
      : spec.namesSessions === "cli"
        ? null
        : { id: stored?.resume_token ?? randomUUID(), resume: false };
  // Checked again here, not only at `session init`: a token may come from a CLI's output or the database.
  if (session && !spec.sessionId.test(session.id))
    throw badSessionId(spec, session.id, `stored session ${stored?.name ?? "(none)"}`);
  return session;
};

/** A directory the sandbox would show that is, or holds, the repository. */
const exposesRepo = (spec: CliSpec, dir: string, repo: string, what: string) =>
  usageError(
    "E_SANDBOX_PATH",
    `the ${spec.name} sandbox would show ${dir} (${what}), which ${isWithin(dir, repo) ? "lies inside" : "holds"} the repository ${repo}`,
    isWithin(dir, repo) && what === "the CLI's install"
      ? `install ${spec.name} outside the repository, or set agents.${spec.name}.command to such a copy`
      : `remove it from agents.${spec.name}.read_paths / write_paths; agents never see the repository`,
  );

/** The runner `agents.sandbox` asks for; `required` fails here, before any turn, when bubblewrap cannot start. */
const chooseRunner = (
  spec: CliSpec,
  opts: HarnessOptions,
  env: Record<string, string | undefined>,
): AgentRunner => {
  if (opts.sandbox === "off") {
    log.warn(
      `agents.sandbox is off: ${spec.name} runs unconfined, as you, and can read and write what you can; the live tree is still checked after every turn`,
    );
    return directRunner;
  }
  const bwrap = bwrapPath(env);
  checkBwrap(bwrap);
  return bwrapRunner(bwrap);
};

/**
 * One harness for any coding CLI, driven by its table entry (lib/agents/harness/clis/): a private
 * HOME per session and a scratch working directory per turn, both in the repository's state
 * directory (never under the repository), an environment of only the forwarded variables, an
 * empty stdin, the CLI's own output format, and around it all the sandbox (lib/agents/sandbox/).
 * The live tree is recorded before each turn and compared after it.
 */
export const createCliHarness = (spec: CliSpec, opts: HarnessOptions): AgentHarness => {
  const env = opts.env ?? process.env;
  const cfg = opts.config;
  const provider = "provider" in cfg ? cfg.provider : undefined;
  // The provider's key variable is the operator's choice in config: it is forwarded whatever its name.
  const forward = [
    ...(cfg.env ?? spec.env),
    ...cfg.env_extra,
    ...(provider?.env_key ? [provider.env_key] : []),
  ];
  // Refuse a missing executable or an unset command before any turn runs.
  const bin = resolveBin(spec, cfg, env);
  const repoReal = realOrResolved(opts.repo);
  const shown: [string, string][] = [
    ...installDirs(bin, env.PATH ?? "").map((d): [string, string] => [d, "the CLI's install"]),
    ...cfg.read_paths.map((d): [string, string] => [realOrResolved(d), "agents read_paths"]),
    ...cfg.write_paths.map((d): [string, string] => [realOrResolved(d), "agents write_paths"]),
  ];
  for (const [dir, what] of shown)
    if (isWithin(dir, repoReal) || isWithin(repoReal, dir)) throw exposesRepo(spec, dir, repoReal, what);
  const runner = chooseRunner(spec, opts, env);
  moveLegacyAgents(opts.repo, env);
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
      const base = sessionDir(opts.repo, name, env);
      // A stored session's directory is one turn's at a time, across processes too.
      const release = stored ? await holdSessionDir(base, req.signal) : () => {};
      try {
        const home = join(base, "home");
        // One path per session, the same every turn: claude and gemini key stored sessions by
        // working directory, and would not find them from another. Emptied first (a crashed turn).
        const work = join(base, "work");
        const session = sessionArg(spec, stored);
        mkdirSync(home, { recursive: true, mode: 0o700 });
        rmSync(work, { recursive: true, force: true });
        const workspace = cfg.mode === "workspace" && req.role === "developer";
        if (req.role === "developer" && workspace) fillWorkspace(work, req.input.files);
        else mkdirSync(work, { recursive: true, mode: 0o700 });
        const cache = join(agentsDir(opts.repo, env), "_cache");
        const childVars = childEnv({
          from: env,
          forward,
          grants: spec.grants,
          fixed: {
            ...spec.fixedEnv,
            ...(runner === directRunner ? {} : { TMPDIR: "/tmp", ...spec.sandboxedEnv }),
            ...(spec.homeTmp ? { TMPDIR: privateTmp(home, spec.homeTmp) } : {}),
          },
          home,
          homeVars: spec.homeVars,
          cache,
          ceiling: dirname(work),
        });
        writeSettings(spec, cfg, home);
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
            // A stored session's allow-all is for the requests that name it (`--session`), no other.
            allowAllTools:
              cfg.allow_all_tools || (opts.pinned !== undefined && stored?.allow_all_tools === 1),
            allowTools: cfg.allow_tools,
            denyTools: cfg.deny_tools,
            args: cfg.args,
            secrets: Object.keys(childVars).filter(isCredential).sort(),
            template: cfg.template,
            provider,
          }),
        ];
        log.debug(`${spec.name} ${req.role}: session ${name}, in ${work} (${runner.name})`);
        // In the sandbox the repository's paths show an empty directory (beside the workspace, out
        // of the agent's view), so a write there is seen, not only refused.
        const decoys =
          runner === directRunner
            ? []
            : [...new Set([repoReal, resolve(opts.repo)])].map((at, i) => ({ at, dir: `${work}.decoy${i}` }));
        try {
          for (const d of decoys) {
            rmSync(d.dir, { recursive: true, force: true });
            mkdirSync(d.dir, { recursive: true, mode: 0o700 });
          }
          const job: AgentJob = {
            argv,
            workspace: work,
            home,
            cache,
            decoys,
            readOnly: shown.filter(([, what]) => what !== "agents write_paths").map(([d]) => d),
            writable: cfg.write_paths.map(realOrResolved),
            network: cfg.network ?? spec.network,
            nests: spec.nests,
            env: childVars,
            signal: req.signal,
          };
          const since = Date.now();
          const before = treeState(opts.repo);
          const ran = await runner.run(job).then(
            (r) => ({ ok: true as const, r }),
            (e: unknown) => ({ ok: false as const, e }),
          );
          // Whatever became of the run, a write to the live tree fails the request first.
          const changed = treeChanges(before, treeState(opts.repo)).filter(
            (p) => !opts.appliedSince?.(p, since),
          );
          if (changed.length > 0) throw outOfBandWrite(spec.name, changed);
          const attempted = decoys.flatMap((d) => decoyWrites(d.dir));
          if (attempted.length > 0) throw outOfBandWrite(spec.name, [...new Set(attempted)], true);
          if (!ran.ok) throw ran.e;
          const run = ran.r;
          log.debug(
            `${spec.name} ${req.role}: exit ${run.exitCode}\nstdout:\n${run.stdout.slice(-8_000)}\nstderr:\n${run.stderr.slice(-4_000)}`,
          );
          const parsed = spec.inspect ? spec.inspect(home, spec.parse(run.stdout)) : spec.parse(run.stdout);
          const failure = runFailure(spec, run, parsed, session?.id);
          if (failure) throw failure;
          // A session id the CLI printed is stored only in its own form (it reaches argv next turn).
          const resume = [parsed.sessionId, session?.id].find(
            (id) => id !== undefined && spec.sessionId.test(id),
          );
          if (stored) opts.sessions?.markUsed(stored.name, Date.now(), resume ?? null);
          const result: TurnResult = {
            text: parsed.text,
            usage: parsed.usage,
            ...(resume ? { session: { resume } } : {}),
          };
          if (req.role !== "developer" || !workspace) return result;
          const { output, discarded } = readWorkspace(work, req.input, parsed.text);
          if (
            output.files.length === 0 &&
            parsed.tools &&
            parsed.tools.calls > 0 &&
            parsed.tools.failed === parsed.tools.calls
          )
            throw noProgress(spec, parsed.tools.calls, {
              exit_code: run.exitCode,
              stderr: run.stderr.slice(-4_000),
            });
          if (discarded.length > 0) {
            log.warn(
              `developer turn for ${req.input.task.id}: ${spec.name} wrote outside its task's files; discarded, never applied: ${discarded.join(", ")}`,
            );
          }
          return { ...result, json: output, discarded };
        } finally {
          for (const p of stored ? [work, ...decoys.map((d) => d.dir)] : [base])
            rmSync(p, { recursive: true, force: true });
        }
      } finally {
        release();
      }
    });
  };

  return { name: spec.name, timeoutMs: cfg.timeout_ms, turn };
};
