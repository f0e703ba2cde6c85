/**
 * Agents' processes: the whole process group dies at a deadline (a grandchild that ignores TERM
 * included) and whatever a finished agent left running dies with it, in the sandbox and out of
 * it; session and thread ids are refused unless in the CLI's own form, at `session init` and
 * before any spawn, and reach the CLI as one `--flag=value` argument.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  createStubHarness,
  type EngineerInput,
  initSession,
  runTurn,
  selectHarness,
  stubEngineer,
} from "../../lib/agents/index.ts";
import { Config, EngineerOutput, TaskRequest } from "../../lib/schema/index.ts";
import { sessionsSql } from "../../lib/store/index.ts";
import { repoFixture } from "../agents/_repo.ts";
import { CLI_NAMES, kitEnv, readRuns, standinConfig, standinKit } from "../agents/harness/_standin.ts";

setDefaultTimeout(60_000);

const input: EngineerInput = {
  request: { ...TaskRequest.parse({ title: "t", edits: [] }), id: "r-1" },
  answers: [],
  assume: true,
  files: [],
};

/** Host pids of processes working under `dir` (their cwd; the same path inside a sandbox). */
const runningUnder = (dir: string): number[] =>
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

const until = async (ok: () => boolean, ms = 15_000) => {
  for (const end = Date.now() + ms; Date.now() < end; await Bun.sleep(25)) if (ok()) return true;
  return ok();
};

/**
 * A `command` agent that starts a grandchild ignoring TERM (it records that it runs), then either
 * hangs or answers at once, leaving the grandchild behind.
 */
const spawner = (dir: string, marker: string, then: "hang" | "answer") => {
  const path = join(dir, "agent", "spawner.sh");
  mkdirSync(join(dir, "agent"), { recursive: true });
  writeFileSync(
    path,
    `#!/bin/sh
sh -c 'trap "" TERM; echo started >> ${marker}; while :; do sleep 1; done' &
${then === "hang" ? "while :; do sleep 1; done" : `echo '${JSON.stringify(stubEngineer(input))}'`}
`,
  );
  chmodSync(path, 0o755);
  return path;
};

describe("an agent's process group", () => {
  for (const sandbox of ["required", "off"] as const) {
    test(`sandbox ${sandbox}: at the deadline the grandchild dies too`, async () => {
      await using fx = await repoFixture({ "a.ts": "" });
      const kit = standinKit(fx);
      const marker = join(kit.shared, "grandchild");
      const config = Config.parse({
        agents: {
          sandbox,
          command: { command: spawner(fx.outside, marker, "hang"), template: [], write_paths: [kit.shared] },
        },
      });
      const harness = selectHarness("command", { repo: fx.path, config, env: kitEnv(kit) });
      const turn = runTurn(
        { role: "engineer", input },
        {
          harness,
          stub: createStubHarness(),
          fallback: false,
          timeoutMs: 1_500,
          repo: fx.path,
          contract: EngineerOutput,
        },
      );
      await expect(turn).rejects.toMatchObject({ code: "E_AGENT_TIMEOUT" });
      expect(readFileSync(marker, "utf8")).toContain("started");
      expect(await until(() => runningUnder(kit.state).length === 0)).toBe(true);
    });
  }

  test("a grandchild left behind by an agent that answered dies when the agent exits", async () => {
    await using fx = await repoFixture({ "a.ts": "" });
    const kit = standinKit(fx);
    const marker = join(kit.shared, "grandchild");
    const config = Config.parse({
      agents: {
        sandbox: "off",
        command: { command: spawner(fx.outside, marker, "answer"), template: [], write_paths: [kit.shared] },
      },
    });
    const harness = selectHarness("command", { repo: fx.path, config, env: kitEnv(kit) });
    const out = await runTurn(
      { role: "engineer", input },
      {
        harness,
        stub: createStubHarness(),
        fallback: false,
        timeoutMs: 30_000,
        repo: fx.path,
        contract: EngineerOutput,
      },
    );
    expect(out.output).toEqual(stubEngineer(input));
    expect(await until(() => runningUnder(kit.state).length === 0)).toBe(true);
  });
});

describe("session and thread ids", () => {
  const HOSTILE = ["--dangerously-skip-permissions", "-r", "--yolo", "x --allow-all"];

  test.each(CLI_NAMES)("%s: session init refuses an option-shaped id, storing nothing", async (cli) => {
    await using fx = await repoFixture({ "a.ts": "" });
    const kit = standinKit(fx);
    for (const resume of HOSTILE) {
      const err = (() => {
        try {
          initSession(fx.path, fx.repo.db, { agent: cli, resume, allow_all_tools: false }, kitEnv(kit));
        } catch (e) {
          return e;
        }
      })();
      expect(err).toMatchObject({ code: "E_SESSION_TOKEN", exitCode: 2 });
    }
    expect(sessionsSql(fx.repo.db).list(100)).toEqual([]);
  });

  test.each(CLI_NAMES)("%s: a stored option-shaped id is refused before the CLI is started", async (cli) => {
    await using fx = await repoFixture({ "a.ts": "" });
    const kit = standinKit(fx);
    const sessions = sessionsSql(fx.repo.db);
    // As if the database had been edited, or an old row predates the check.
    sessions.insert({
      name: "edited",
      agent: cli,
      role: "engineer",
      resume_token: "--dangerously-skip-permissions",
      started: 1,
      allow_all_tools: 0,
      created_at: Date.now(),
    });
    const config = Config.parse({ agents: { [cli]: standinConfig(kit) } });
    const harness = selectHarness(cli, { repo: fx.path, config, sessions, env: kitEnv(kit) });
    await expect(
      runTurn(
        { role: "engineer", input },
        {
          harness,
          stub: createStubHarness(),
          fallback: true,
          timeoutMs: 30_000,
          repo: fx.path,
          contract: EngineerOutput,
        },
      ),
    ).rejects.toMatchObject({ code: "E_SESSION_TOKEN" });
    expect(readRuns(kit.log)).toEqual([]);
  });

  test.each(CLI_NAMES)("%s: an option-shaped session id the CLI prints is never stored", async (cli) => {
    await using fx = await repoFixture({ "a.ts": "" });
    const kit = standinKit(fx);
    const sessions = sessionsSql(fx.repo.db);
    sessions.insert({
      name: "s",
      agent: cli,
      role: "engineer",
      resume_token: null,
      started: 0,
      allow_all_tools: 0,
      created_at: Date.now(),
    });
    const config = Config.parse({ agents: { [cli]: standinConfig(kit) } });
    const env = kitEnv(kit, { HYPERION_STANDIN: "evil-id" });
    await runTurn(
      { role: "engineer", input },
      {
        harness: selectHarness(cli, { repo: fx.path, config, sessions, env }),
        stub: createStubHarness(),
        fallback: false,
        timeoutMs: 30_000,
        repo: fx.path,
        contract: EngineerOutput,
      },
    );
    const token = sessions.get("s")!.resume_token;
    // codex names its sessions, and named this one wrongly: nothing is kept to resume.
    if (cli === "codex") expect(token).toBeNull();
    else expect(token).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("a good id reaches every CLI as one --flag=value argument (codex: after --)", async () => {
    await using fx = await repoFixture({ "a.ts": "" });
    const kit = standinKit(fx);
    const sessions = sessionsSql(fx.repo.db);
    for (const cli of CLI_NAMES) {
      const id = crypto.randomUUID();
      sessions.insert({
        name: `s-${cli}`,
        agent: cli,
        role: "engineer",
        resume_token: id,
        started: 0,
        allow_all_tools: 0,
        created_at: Date.now(),
      });
      const config = Config.parse({ agents: { [cli]: standinConfig(kit) } });
      const run = () =>
        runTurn(
          { role: "engineer", input },
          {
            harness: selectHarness(cli, { repo: fx.path, config, sessions, env: kitEnv(kit) }),
            stub: createStubHarness(),
            fallback: false,
            timeoutMs: 30_000,
            repo: fx.path,
            contract: EngineerOutput,
          },
        );
      await run();
      await run();
      const resumed = readRuns(kit.log)
        .filter((r) => r.cli === cli)
        .at(-1)!;
      const token = sessions.get(`s-${cli}`)!.resume_token!;
      if (cli === "codex") expect(resumed.argv.slice(-2, -1)).toEqual([token]);
      else expect(resumed.argv).toContain(`--resume=${token}`);
      expect(resumed.argv.filter((a) => a === token).length).toBe(cli === "codex" ? 1 : 0);
      if (cli === "codex") expect(resumed.argv.at(-3)).toBe("--");
    }
  });
});
