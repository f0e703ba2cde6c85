/**
 * What the real-CLI suites (`*-real.slow.ts`) share: the repository and base environment their
 * CLI runs in, the Engineer turn they drive, the harness built from a CLI's config, the Developer
 * task they hand it, and the tests every CLI passes alike (request then run, a stored session,
 * workspace mode). Each suite keeps its own mock of its CLI's wire protocol.
 */
import type { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type AgentHarness,
  createStubHarness,
  type EngineerInput,
  runDeveloper,
  runTurn,
  selectHarness,
  stubEngineer,
} from "../../../lib/agents/index.ts";
import {
  type AgentName,
  Config,
  DeveloperTask,
  EngineerOutput,
  TaskRequest,
} from "../../../lib/schema/index.ts";
import { type Repo, sessionsSql } from "../../../lib/store/index.ts";
import { hyperion, ROOT, tmpdir } from "../../_helpers.ts";
import { contextFor, repoFixture } from "../_repo.ts";

export const ENGINEER_INPUT: EngineerInput = {
  request: { ...TaskRequest.parse({ title: "Fix the crash in greet", edits: [] }), id: "r-1" },
  answers: [],
  assume: true,
  files: ["src/a.ts"],
};

/** The stub's brief for ENGINEER_INPUT, wrapped in prose as a model would answer. */
export const BRIEF_TEXT = `Here is the brief:\n${JSON.stringify(stubEngineer(ENGINEER_INPUT))}`;

/** One Engineer turn through `h`, with no fallback: a contract failure is an error. */
export const engineerTurn = (h: AgentHarness, repo: string) =>
  runTurn(
    { role: "engineer", input: ENGINEER_INPUT },
    {
      harness: h,
      stub: createStubHarness(),
      fallback: false,
      timeoutMs: 50_000,
      repo,
      contract: EngineerOutput,
    },
  );

/** The harness of `cli` from its `agents.<cli>` settings, as the pipeline builds it. */
export const realHarness = (
  cli: AgentName,
  settings: Record<string, unknown>,
  fx: { path: string; repo: { db: Database } },
  env: Record<string, string | undefined>,
) => {
  const config = Config.parse({ agents: { [cli]: settings } });
  return {
    config,
    harness: selectHarness(cli, { repo: fx.path, config, sessions: sessionsSql(fx.repo.db), env }),
  };
};

/** The Developer task the workspace tests give: change src/a.ts, read src/b.ts. */
export const developerTask = (id: string) =>
  DeveloperTask.parse({
    id,
    request_id: "r-9",
    title: "Set a to 42",
    owned_paths: ["src/a.ts"],
    context_paths: ["src/b.ts"],
    estimated_tokens: 100,
  });

/**
 * The workspace-mode checks every real CLI passes: the edit comes back as the owned file's change
 * (a stray write, and the live tree, untouched), and a turn whose every shell command failed is
 * E_AGENT_NO_PROGRESS. `play(command, text)` has the suite's mock run `command` through its CLI's
 * shell tool, then answer `text`; `workspace` is the CLI's settings for the mode (`failing`, for
 * the failing turn, where a CLI needs others).
 */
export const workspaceModeTests = (o: {
  agent: AgentName;
  fx: () => { path: string; repo: Repo };
  harness: (over: Record<string, unknown>) => { config: Config; harness: AgentHarness };
  workspace: Record<string, unknown>;
  failing?: Record<string, unknown>;
  play: (command: string, text: string) => void;
}) => {
  test("workspace mode: the edit comes back as the owned file's change, the stray write is discarded", async () => {
    const fx = o.fx();
    o.play(
      "echo 'export const a = 42;' > src/a.ts && echo stray > stray.txt && echo x > src/b.ts",
      "Set a to 42.",
    );
    const { config, harness: h } = o.harness(o.workspace);
    const r = await runDeveloper({ ...contextFor(fx.repo, h, false), config }, developerTask("r-9-t1"));
    expect(r.turn.agent).toBe(o.agent);
    expect(r.change?.summary).toBe("Set a to 42.");
    expect(r.change?.changes.map((c) => [c.path, c.operation])).toEqual([["src/a.ts", "modify"]]);
    expect(r.change?.changes[0]?.patch).toContain("+export const a = 42;");
    expect(readFileSync(join(fx.path, "src/a.ts"), "utf8")).toBe("export const a = 1;\n");
    expect(existsSync(join(fx.path, "stray.txt"))).toBe(false);
  });

  test("workspace mode: a turn whose every shell command failed is E_AGENT_NO_PROGRESS, not 'no changes'", async () => {
    const fx = o.fx();
    o.play("sed -i s/1/42/ src/missing.ts", "Done.");
    const { config, harness: h } = o.harness(o.failing ?? o.workspace);
    await expect(
      runDeveloper({ ...contextFor(fx.repo, h, false), config }, developerTask("r-9-t2")),
    ).rejects.toMatchObject({ code: "E_AGENT_NO_PROGRESS" });
  });
};

/**
 * `hyperion request --agent <cli>` on a copy of testapp, then `run`: every role goes through the
 * real CLI (six turns, no fallback), and the four changes are applied. `answerRoles(app)` has the
 * suite's mock answer each role as the stub would for that checkout; `requests()` counts the agent
 * requests the mock has seen.
 */
export const requestAndRunTest = (o: {
  agent: AgentName;
  settings: () => Record<string, unknown>;
  env: () => Record<string, string | undefined>;
  answerRoles: (app: string) => void;
  requests: () => number;
}) =>
  test(`hyperion request --agent ${o.agent}, then run: every role through the real ${o.agent}, and the edits applied`, async () => {
    await using app = await tmpdir(`hyperion-${o.agent}-`);
    cpSync(join(ROOT, "testapp"), app.path, { recursive: true });
    const env = o.env();
    const cli = (args: string[]) => hyperion([...args, "--repo", app.path], { env });
    expect((await cli(["init"])).exitCode).toBe(0);
    const file = join(app.path, ".hyperion/config.json");
    const config = JSON.parse(readFileSync(file, "utf8"));
    config.agents[o.agent] = o.settings();
    writeFileSync(file, JSON.stringify(config));
    o.answerRoles(app.path);
    const before = o.requests();
    const req = join(app.path, "orchestrate-request-003.json");
    const r = await cli(["request", req, "--agent", o.agent, "--format", "json"]);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ status: "enqueued", agent: o.agent, fallback: false });
    expect(result.change_requests).toHaveLength(4);
    expect(o.requests() - before).toBe(6); // engineer, orchestrator, four developers
    expect((await cli(["plan", "approve"])).exitCode).toBe(0);
    expect((await cli(["run", "--format", "json"])).exitCode).toBe(0);
    const listed = await cli(["list", "--format", "json"]);
    const rows = JSON.parse(listed.stdout) as { status: string }[];
    expect(rows.map((c) => c.status)).toEqual(["applied", "applied", "applied", "applied"]);
  });

/**
 * The repository a suite's turns run in, a git repository: src/a.ts, src/b.ts and the given
 * instruction files, untrusted content that must never reach the model as instructions.
 */
export const realRepo = async (instructions: Record<string, string>) => {
  const fx = await repoFixture({
    "src/a.ts": "export const a = 1;\n",
    "src/b.ts": "export const b = 2;\n",
    ...instructions,
  });
  Bun.spawnSync(["git", "init", "-q", fx.path]);
  return fx;
};

/** What every suite's CLI runs with before its own variables: a HOME that must not leak, state outside the tree. */
export const baseEnv = (fx: { outside: string }) => ({
  PATH: process.env.PATH,
  HOME: "/home/operator-should-not-leak",
  XDG_STATE_HOME: join(fx.outside, "state"),
});

/**
 * A stored session survives a second turn: the CLI is started with the session's id, then resumed
 * from the same workspace path, and the resumed conversation carries the first turn's prompt and
 * answer. `lastRequest()` is the newest agent request the mock saw, as text, and how many earlier
 * answers of the model it carries.
 */
export const storedSessionTest = (o: {
  agent: AgentName;
  fx: () => { path: string; repo: Repo };
  harness: () => { harness: AgentHarness };
  answerBrief: () => void;
  lastRequest: () => { text: string; modelTurns: number };
}) =>
  test("a stored session survives a second turn: --session-id, then --resume from the same workspace path", async () => {
    const fx = o.fx();
    o.answerBrief();
    const sessions = sessionsSql(fx.repo.db);
    const id = crypto.randomUUID();
    sessions.insert({
      name: "eng",
      agent: o.agent,
      role: "engineer",
      resume_token: id,
      started: 0,
      allow_all_tools: 0,
      created_at: Date.now(),
    });
    await engineerTurn(o.harness().harness, fx.path);
    expect(sessions.get("eng")).toMatchObject({ started: 1, resume_token: id });
    await engineerTurn(o.harness().harness, fx.path);
    expect(sessions.get("eng")).toMatchObject({ resume_token: id });
    const last = o.lastRequest();
    expect(last.text.split("You are the Engineer.").length - 1).toBe(2);
    expect(last.modelTurns).toBe(1);
    sessions.remove("eng");
  });
