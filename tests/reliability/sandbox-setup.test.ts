/**
 * What the sandbox needs before any turn: bubblewrap that starts (else E_SANDBOX_UNAVAILABLE with
 * the install step), nothing shown that is or holds the repository (E_SANDBOX_PATH), a state
 * directory outside the repository (E_STATE_DIR); and the live-tree check with the sandbox off.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  agentsDir,
  createStubHarness,
  type EngineerInput,
  runTurn,
  selectHarness,
  stubEngineer,
} from "../../lib/agents/index.ts";
import { treeChanges, treeState } from "../../lib/agents/sandbox/index.ts";
import { runDoctor } from "../../lib/ops/doctor/index.ts";
import { Config, EngineerOutput, TaskRequest } from "../../lib/schema/index.ts";
import { repoStateDir } from "../../lib/store/index.ts";
import { repoFixture } from "../agents/_repo.ts";
import { kitEnv, readRuns, standinConfig, standinKit } from "../agents/harness/_standin.ts";

setDefaultTimeout(60_000);

const input: EngineerInput = {
  request: { ...TaskRequest.parse({ title: "t", edits: [] }), id: "r-1" },
  answers: [],
  assume: true,
  files: [],
};

const caught = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return null;
};

describe("bubblewrap that cannot start", () => {
  test.each(["/nonexistent/bwrap", "/bin/false"])(
    "HYPERION_BWRAP=%s: E_SANDBOX_UNAVAILABLE with the install step, before any turn",
    async (bwrap) => {
      await using fx = await repoFixture({ "a.ts": "" });
      const kit = standinKit(fx);
      const config = Config.parse({ agents: { claude: standinConfig(kit) } });
      const err = caught(() =>
        selectHarness("claude", { repo: fx.path, config, env: kitEnv(kit, { HYPERION_BWRAP: bwrap }) }),
      );
      expect(err).toMatchObject({ code: "E_SANDBOX_UNAVAILABLE", exitCode: 1 });
      expect((err as { hint: string }).hint).toContain("apt-get install bubblewrap");
      expect((err as { hint: string }).hint).toContain('agents.sandbox to "off"');
    },
  );

  test("with agents.sandbox off the same harness runs (unconfined), and is not told it is sandboxed", async () => {
    await using fx = await repoFixture({ "a.ts": "" });
    const kit = standinKit(fx);
    // Even named in config, the operator's IS_SANDBOX (claude's root switch) is never forwarded.
    const claude = standinConfig(kit, { env_extra: ["HYPERION_STANDIN*", "IS_SANDBOX"] });
    const config = Config.parse({ agents: { sandbox: "off", claude } });
    const env = kitEnv(kit, { HYPERION_BWRAP: "/nonexistent/bwrap", IS_SANDBOX: "1" });
    const harness = selectHarness("claude", { repo: fx.path, config, env });
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
    expect(readRuns(kit.log)[0]!.env).not.toContain("IS_SANDBOX");
  });
});

describe("doctor", () => {
  test("names agents.sandbox off; finds bubblewrap when it is required", async () => {
    await using fx = await repoFixture({ "a.ts": "" });
    const sandbox = () => runDoctor({ repo: fx.path }).checks.find((c) => c.name === "sandbox");
    expect(sandbox()).toMatchObject({ status: "ok", details: { sandbox: "required" } });
    const config = Config.parse({ agents: { sandbox: "off" } });
    writeFileSync(join(fx.path, ".hyperion/config.json"), JSON.stringify(config));
    expect(sandbox()).toMatchObject({
      status: "warn",
      summary: expect.stringContaining("agents.sandbox is off"),
    });
  });
});

describe("what the sandbox would show", () => {
  test.each(["read_paths", "write_paths"] as const)(
    "%s naming the repository, or a directory holding it: E_SANDBOX_PATH",
    async (key) => {
      await using fx = await repoFixture({ "a.ts": "" });
      const kit = standinKit(fx);
      for (const dir of [fx.path, join(fx.path, "src"), fx.outside]) {
        const config = Config.parse({ agents: { claude: standinConfig(kit, { [key]: [dir] }) } });
        const err = caught(() => selectHarness("claude", { repo: fx.path, config, env: kitEnv(kit) }));
        expect(err).toMatchObject({ code: "E_SANDBOX_PATH", exitCode: 2 });
      }
    },
  );

  test("an agent executable inside the repository: E_SANDBOX_PATH", async () => {
    await using fx = await repoFixture({ "a.ts": "" });
    const kit = standinKit(fx);
    writeFileSync(join(fx.path, "agent.sh"), "#!/bin/sh\n", { mode: 0o755 });
    const config = Config.parse({
      agents: { command: { command: join(fx.path, "agent.sh"), template: ["{prompt}"] } },
    });
    const err = caught(() => selectHarness("command", { repo: fx.path, config, env: kitEnv(kit) }));
    expect(err).toMatchObject({ code: "E_SANDBOX_PATH" });
    expect((err as Error).message).toContain("lies inside");
  });
});

describe("the state directory", () => {
  test("XDG_STATE_HOME, else HOME/.local/state; keyed by repository; never inside it", async () => {
    await using fx = await repoFixture({ "a.ts": "" });
    const byXdg = repoStateDir(fx.path, { XDG_STATE_HOME: join(fx.outside, "xdg"), HOME: "/h" });
    expect(byXdg.startsWith(join(fx.outside, "xdg", "hyperion", "repo-"))).toBe(true);
    const byHome = repoStateDir(fx.path, { HOME: join(fx.outside, "home") });
    expect(byHome.startsWith(join(fx.outside, "home", ".local/state/hyperion/repo-"))).toBe(true);
    expect(agentsDir(fx.path, { HOME: join(fx.outside, "home") })).toBe(join(byHome, "agents"));
    await using other = await repoFixture({ "a.ts": "" });
    expect(repoStateDir(other.path, { HOME: "/h" })).not.toBe(repoStateDir(fx.path, { HOME: "/h" }));
    for (const env of [{ XDG_STATE_HOME: join(fx.path, "state") }, { HOME: fx.path }, {}]) {
      expect(caught(() => repoStateDir(fx.path, env))).toMatchObject({ code: "E_STATE_DIR", exitCode: 2 });
    }
  });
});

describe("homes kept in the repository by earlier versions", () => {
  test("move to the state directory once, so stored sessions still resume; nothing stays in the repository", async () => {
    await using fx = await repoFixture({ "a.ts": "" });
    const kit = standinKit(fx);
    const old = join(fx.path, ".hyperion/agents");
    mkdirSync(join(old, "main/home/.copilot/session-state/abc"), { recursive: true });
    writeFileSync(join(old, "main/home/.copilot/session-state/abc/events.jsonl"), "{}\n");
    mkdirSync(join(old, "_cache/big"), { recursive: true });
    const config = Config.parse({ agents: { copilot: standinConfig(kit) } });
    selectHarness("copilot", { repo: fx.path, config, env: kitEnv(kit) });
    expect(existsSync(old)).toBe(false);
    const moved = join(agentsDir(fx.path, kitEnv(kit)), "main/home/.copilot/session-state/abc/events.jsonl");
    expect(readFileSync(moved, "utf8")).toBe("{}\n");
  });
});

describe("the live tree around a turn", () => {
  test("with git: tracked and untracked-not-ignored files, Hyperion's config and key; never the queue's own files", async () => {
    await using fx = await repoFixture({ "a.ts": "a\n", ".gitignore": "dist/\n" });
    // git comes after init here, so .gitignore does not name .hyperion/: it is skipped all the same.
    Bun.spawnSync(["git", "init", "-q"], { cwd: fx.path });
    const before = treeState(fx.path);
    writeFileSync(join(fx.path, "a.ts"), "changed\n");
    writeFileSync(join(fx.path, "new.ts"), "untracked\n");
    mkdirSync(join(fx.path, "dist"));
    writeFileSync(join(fx.path, "dist/out.js"), "ignored\n");
    writeFileSync(join(fx.path, ".hyperion/hyperion.db-journal"), "the queue's\n");
    writeFileSync(join(fx.path, ".hyperion/config.json"), "{}\n");
    expect(treeChanges(before, treeState(fx.path))).toEqual([".hyperion/config.json", "a.ts", "new.ts"]);
  });

  test("a write the queue made meanwhile is not an agent's; any other is E_AGENT_OUT_OF_BAND_WRITE", async () => {
    await using fx = await repoFixture({ "a.ts": "a\n", "b.ts": "b\n" });
    const kit = standinKit(fx);
    const script = join(kit.shared, "writer.sh");
    // Stands for a concurrent apply (a.ts) and an agent's stray write (b.ts) during one turn.
    writeFileSync(
      script,
      `#!/bin/sh\necho A > ${fx.path}/a.ts\necho B > ${fx.path}/b.ts\necho '${JSON.stringify(stubEngineer(input))}'\n`,
      { mode: 0o755 },
    );
    const config = Config.parse({ agents: { sandbox: "off", command: { command: script, template: [] } } });
    const harness = selectHarness("command", {
      repo: fx.path,
      config,
      env: kitEnv(kit),
      appliedSince: (path) => path === "a.ts",
    });
    const err = await runTurn(
      { role: "engineer", input },
      {
        harness,
        stub: createStubHarness(),
        fallback: false,
        timeoutMs: 30_000,
        repo: fx.path,
        contract: EngineerOutput,
      },
    ).catch((e) => e);
    expect(err).toMatchObject({ code: "E_AGENT_OUT_OF_BAND_WRITE", details: { paths: ["b.ts"] } });
  });
});
