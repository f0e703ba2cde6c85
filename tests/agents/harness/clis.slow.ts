import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import {
  createStubHarness,
  type EngineerInput,
  runTurn,
  selectHarness,
  stubEngineer,
} from "../../../lib/agents/index.ts";
import { Config, EngineerOutput, TaskRequest } from "../../../lib/schema/index.ts";
import { sessionsSql } from "../../../lib/store/index.ts";
import { repoFixture } from "../_repo.ts";
import { CLI_NAMES, kitEnv, readRuns, standinConfig, standinKit } from "./_standin.ts";

setDefaultTimeout(60_000);

const input: EngineerInput = {
  request: {
    ...TaskRequest.parse({ title: "Fix the crash in greet", edits: [{ op: "delete", path: "a.ts" }] }),
    id: "r-1",
  },
  answers: [],
  assume: false,
  files: ["a.ts"],
};
const turn = { role: "engineer" as const, input };
const expected = stubEngineer(input);

/** A repository, stand-ins on PATH, and a harness of `cli` run through runTurn as the pipeline does. */
const setup = async (cli: (typeof CLI_NAMES)[number], scenario: string, timeoutMs = 30_000) => {
  const fx = await repoFixture({ "a.ts": "export const a = 1;\n" });
  const kit = standinKit(fx);
  const log = kit.log;
  const env = kitEnv(kit, {
    HYPERION_STANDIN: scenario,
    OPERATOR_SECRET: "must-not-reach-the-agent",
    COPILOT_HOME: "/operator/.copilot",
    GH_TOKEN: "gh-token-value",
    ANTHROPIC_API_KEY: "sk-ant-value",
    OPENAI_API_KEY: "sk-openai-value",
    GEMINI_API_KEY: "gemini-value",
  });
  const sessions = sessionsSql(fx.repo.db);
  const config = Config.parse({ agents: { [cli]: standinConfig(kit) } });
  const make = (pinned?: string) =>
    selectHarness(cli, {
      repo: fx.path,
      config,
      sessions,
      env,
      ...(pinned ? { pinned: sessions.get(pinned)! } : {}),
    });
  const run = (pinned?: string) =>
    runTurn(turn, {
      harness: make(pinned),
      stub: createStubHarness(),
      fallback: true,
      timeoutMs,
      repo: fx.path,
      contract: EngineerOutput,
    });
  return { fx, kit, log, env, sessions, make, run };
};

/** Pids of the host's processes whose working directory is `dir` (inside a sandbox too: same path). */
const runningIn = (dir: string): number[] =>
  readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readlinkSync(`/proc/${p}/cwd`).startsWith(dir);
      } catch {
        return false;
      }
    })
    .map(Number);

/** Polls until no process works in `dir`, or fails after the deadline. */
const gone = async (dir: string, ms = 10_000) => {
  const until = Date.now() + ms;
  for (;;) {
    if (runningIn(dir).length === 0) return true;
    if (Date.now() > until) return false;
    await Bun.sleep(20);
  }
};

const FLAGS: Record<string, string[]> = {
  copilot: [
    "-p",
    "--output-format",
    "json",
    "-C",
    "--no-auto-update",
    "--no-custom-instructions",
    // The credential is stripped from its shell's environment.
    "--secret-env-vars=GH_TOKEN",
  ],
  claude: ["-p", "--output-format", "stream-json", "--verbose", "--permission-mode", "default"],
  codex: [
    "exec",
    "--json",
    "--skip-git-repo-check",
    "-s",
    "read-only",
    "-C",
    'shell_environment_policy.inherit="core"',
  ],
  gemini: ["-p", "-o", "stream-json", "--skip-trust", "--approval-mode", "default"],
};

describe.each(CLI_NAMES)("the %s harness against its stand-in", (cli) => {
  test("success: the answer is used, with the documented flags, a private HOME and only forwarded variables", async () => {
    const s = await setup(cli, "ok");
    await using _ = s.fx;
    const out = await s.run();
    expect(out.agent).toBe(cli);
    expect(out.fallback).toBeUndefined();
    expect(out.output).toEqual(expected);
    const [r] = readRuns(s.log);
    for (const f of FLAGS[cli]!) expect(r!.argv).toContain(f);
    // Session ids go in as one `--flag=value` argument, never as a separate word.
    if (cli !== "codex") expect(r!.argv.some((a) => /^--session-id=[0-9a-f-]{36}$/.test(a))).toBe(true);
    // Home and workspace live in the state directory, never under the repository.
    expect(r!.home.startsWith(join(s.kit.state, "hyperion"))).toBe(true);
    expect(r!.cwd.startsWith(join(s.kit.state, "hyperion"))).toBe(true);
    expect(r!.cwd.startsWith(s.fx.path)).toBe(false);
    expect(r!.env).not.toContain("OPERATOR_SECRET");
    const own = {
      copilot: "GH_TOKEN",
      claude: "ANTHROPIC_API_KEY",
      codex: "OPENAI_API_KEY",
      gemini: "GEMINI_API_KEY",
    }[cli];
    expect(r!.env).toContain(own);
    // claude is told it is sandboxed (so bypassPermissions works as root) only because it is.
    expect(r!.env.includes("IS_SANDBOX")).toBe(cli === "claude");
    // Another CLI's credentials stay home.
    if (cli !== "claude") expect(r!.env).not.toContain("ANTHROPIC_API_KEY");
    if (cli !== "copilot") expect(r!.env).not.toContain("GH_TOKEN");
    // An ephemeral session leaves nothing behind.
    expect(existsSync(r!.home)).toBe(false);
  });

  test("JSON wrapped in prose and a code fence is accepted", async () => {
    const s = await setup(cli, "prose");
    await using _ = s.fx;
    const out = await s.run();
    expect(out.fallback).toBeUndefined();
    expect(out.output).toEqual(expected);
  });

  test("garbage falls back to the stub, visibly", async () => {
    const s = await setup(cli, "garbage");
    await using _ = s.fx;
    const out = await s.run();
    expect(out.agent).toBe("stub");
    expect(out.fallback).toEqual({
      role: "engineer",
      agent: cli,
      reason: "the output holds no JSON object",
      raw_output: "I fixed everything, trust me! 🎉",
    });
  });

  test("a prompt too long for one argument (Linux: 128 KiB) reaches the CLI through a file", async () => {
    const s = await setup(cli, "ok");
    await using _ = s.fx;
    const big: EngineerInput = {
      ...input,
      files: Array.from({ length: 9_000 }, (_, i) => `src/module-${i}.ts`),
    };
    const out = await runTurn(
      { role: "engineer", input: big },
      {
        harness: s.make(),
        stub: createStubHarness(),
        fallback: false,
        timeoutMs: 30_000,
        repo: s.fx.path,
        contract: EngineerOutput,
      },
    );
    expect(out.output).toEqual(stubEngineer(big));
    const [r] = readRuns(s.log);
    expect(Math.max(...r!.argv.map((a) => a.length))).toBeLessThan(1_000);
  });

  test("a CLI that reads stdin gets an empty one and does not hang", async () => {
    const s = await setup(cli, "stdin");
    await using _ = s.fx;
    const out = await s.run();
    expect(out.output).toEqual(expected);
  });

  test("a timeout is E_AGENT_TIMEOUT and the child is killed", async () => {
    const s = await setup(cli, "hang", 1_500);
    await using _ = s.fx;
    await expect(s.run()).rejects.toMatchObject({ code: "E_AGENT_TIMEOUT", exitCode: 1 });
    const [r] = readRuns(s.log);
    expect(await gone(r!.cwd)).toBe(true);
  });

  test("a non-zero exit is E_AGENT_EXIT with the CLI's words", async () => {
    const s = await setup(cli, "fail");
    await using _ = s.fx;
    const err = await s.run().catch((e) => e);
    expect(err).toMatchObject({ code: "E_AGENT_EXIT", exitCode: 1 });
    expect(err.message).toContain("the model gave up");
    if (cli === "gemini") expect(err.message).toContain("exit 53: turn limit exceeded");
  });

  test("auth failure text is E_AGENT_AUTH, naming the variables that would be forwarded", async () => {
    const s = await setup(cli, "auth");
    await using _ = s.fx;
    const err = await s.run().catch((e) => e);
    expect(err).toMatchObject({ code: "E_AGENT_AUTH", exitCode: 1 });
    expect(err.hint).toContain(`agents.${cli}.env`);
  });

  test("a denied tool with exit 0 is a failure, not a success", async () => {
    const s = await setup(cli, "denied");
    await using _ = s.fx;
    const err = await s.run().catch((e) => e);
    expect(err).toMatchObject({ code: "E_AGENT_DENIED", exitCode: 1 });
  });

  test("a stored session is created on the first turn and resumed from the same home on the next", async () => {
    const s = await setup(cli, "ok");
    await using _ = s.fx;
    s.sessions.insert({
      name: "main",
      agent: cli,
      role: null,
      resume_token: null,
      started: 0,
      allow_all_tools: 0,
      created_at: Date.now(),
    });
    await s.run();
    const first = s.sessions.get("main")!;
    expect(first.started).toBe(1);
    expect(first.resume_token).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.last_used_at).not.toBeNull();
    await s.run();
    const [a, b] = readRuns(s.log);
    expect(a!.home).toBe(b!.home);
    expect(existsSync(a!.home)).toBe(true);
    expect(b!.session).toBe(first.resume_token!);
    expect(b!.turns).toBe(2);
    const resumeFlag = {
      copilot: `--resume=${first.resume_token}`,
      claude: `--resume=${first.resume_token}`,
      codex: "resume",
      gemini: `--resume=${first.resume_token}`,
    }[cli];
    expect(b!.argv).toContain(resumeFlag);
  });

  test("a session stored with --allow-all-tools grants its CLI's flag to a request that names it, and to no other", async () => {
    const s = await setup(cli, "ok");
    await using _ = s.fx;
    s.sessions.insert({
      name: "trusted",
      agent: cli,
      role: "engineer",
      resume_token: null,
      started: 0,
      allow_all_tools: 1,
      created_at: Date.now(),
    });
    // What allow-all becomes: codex resumes the session, so its sandbox comes in as config.
    const granted = {
      copilot: "--allow-all-tools",
      claude: "--permission-mode bypassPermissions",
      codex: 'sandbox_mode="workspace-write"',
      gemini: "--approval-mode yolo",
    }[cli];
    // Not named: the session is resumed for its role, but its allow-all stays with it.
    await s.run();
    const [unnamed] = readRuns(s.log);
    expect(unnamed!.argv.join(" ")).not.toContain(cli === "codex" ? "workspace-write" : granted);
    await s.run("trusted");
    const [, named] = readRuns(s.log);
    expect(named!.argv.join(" ")).toContain(granted);
  });

  test("a session token the private home does not hold is E_AGENT_SESSION", async () => {
    const s = await setup(cli, "ok");
    await using _ = s.fx;
    s.sessions.insert({
      name: "brought",
      agent: cli,
      role: "engineer",
      resume_token: "0cb916db-26aa-40f2-86b5-1ba81b225fd2",
      started: 1,
      allow_all_tools: 0,
      created_at: Date.now(),
    });
    await expect(s.run()).rejects.toMatchObject({ code: "E_AGENT_SESSION", exitCode: 1 });
  });
});

describe("missing executables", () => {
  test.each(CLI_NAMES)("%s not on PATH: E_AGENT_MISSING, saying how to install it", async (cli) => {
    await using fx = await repoFixture({ "a.ts": "" });
    const err = (() => {
      try {
        selectHarness(cli, { repo: fx.path, env: { PATH: join(fx.path, "empty") } });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toMatchObject({ code: "E_AGENT_MISSING", exitCode: 1 });
    expect((err as { hint: string }).hint).toContain(`npm install -g`);
  });
});
