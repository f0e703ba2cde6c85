import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultConfig } from "../../../lib/schema/index.ts";
import { hyperion, ROOT, tmpdir } from "../../_helpers.ts";
import { operatorEnv, readRuns, standinBin } from "./_standin.ts";

setDefaultTimeout(120_000);

const TOKEN = "0cb916db-26aa-40f2-86b5-1ba81b225fd2";

/** testapp, initialised, with config forwarding the stand-ins' control variables to every CLI. */
const project = async () => {
  const dir = await tmpdir("hyperion-session-");
  cpSync(join(ROOT, "testapp"), dir.path, { recursive: true });
  expect((await hyperion(["init", "--repo", dir.path])).exitCode).toBe(0);
  const config = defaultConfig();
  for (const cli of ["copilot", "claude", "codex", "gemini"] as const)
    config.agents[cli].env_extra = ["HYPERION_STANDIN", "HYPERION_STANDIN_LOG", "HYPERION_STANDIN_REPO"];
  writeFileSync(join(dir.path, ".hyperion/config.json"), JSON.stringify(config));
  const log = join(dir.path, ".hyperion/standin.log");
  const env = operatorEnv(standinBin(dir.path), {
    HYPERION_STANDIN_LOG: log,
    HYPERION_STANDIN_REPO: dir.path,
  });
  return { dir, log, env, run: (args: string[]) => hyperion([...args, "--repo", dir.path], { env }) };
};

describe("hyperion session", () => {
  test("init stores a token that list shows masked, never in full; rm removes it and its home", async () => {
    const p = await project();
    await using _ = p.dir;
    const init = await p.run(["session", "init", `--resume=${TOKEN}`, "--name", "main", "--allow-all-tools"]);
    expect(init.exitCode).toBe(0);
    expect(init.stdout).toContain("session main: copilot, token 0cb9…5fd2, all tools allowed");
    expect(init.stdout + init.stderr).not.toContain(TOKEN);
    const list = await p.run(["session", "list", "--format", "json"]);
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({
        name: "main",
        agent: "copilot",
        token: "0cb9…5fd2",
        started: true,
        allow_all_tools: true,
      }),
    ]);
    expect(list.stdout).not.toContain(TOKEN);
    expect((await p.run(["session", "list"])).stdout).not.toContain(TOKEN);
    const home = join(p.dir.path, ".hyperion/agents/main/home");
    expect(existsSync(home)).toBe(true);
    expect((await p.run(["session", "rm", "main"])).exitCode).toBe(0);
    expect(existsSync(home)).toBe(false);
    expect(JSON.parse((await p.run(["session", "list", "--format", "json"])).stdout)).toEqual([]);
  });

  test("bad input: one line, a stable code, exit 2, nothing written", async () => {
    const p = await project();
    await using _ = p.dir;
    for (const [args, code] of [
      [["session", "init", "--agent", "hal"], "E_SCHEMA"],
      [["session", "init", "--name", "../up"], "E_SESSION_NAME"],
      [["session", "init", "--resume=has space"], "E_SCHEMA"],
      [["session", "rm", "nobody"], "E_SESSION_NOT_FOUND"],
      [["request", "@001", "--session", "nobody"], "E_SESSION_NOT_FOUND"],
    ] as const) {
      const r = await p.run(
        args.map((a) => (a === "@001" ? join(p.dir.path, "orchestrate-request-001.json") : a)),
      );
      expect(r.exitCode).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain(code);
    }
    expect(existsSync(join(p.dir.path, ".hyperion/agents"))).toBe(false);
    expect(JSON.parse((await p.run(["session", "list", "--format", "json"])).stdout)).toEqual([]);
  });

  test("request --session runs every turn in the pinned session's agent and home, and records its use", async () => {
    const p = await project();
    await using _ = p.dir;
    expect((await p.run(["session", "init", "--agent", "claude", "--name", "pair"])).exitCode).toBe(0);
    const file = join(p.dir.path, "orchestrate-request-001.json");
    const r = await p.run(["request", file, "--session", "pair", "--format", "json"]);
    expect(r.exitCode).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ status: "enqueued", agent: "claude", fallback: false });
    const runs = readRuns(p.log);
    expect(runs.length).toBeGreaterThanOrEqual(3); // engineer, orchestrator, developer(s)
    expect(runs.every((x) => x.cli === "claude")).toBe(true);
    expect(new Set(runs.map((x) => x.home))).toEqual(
      new Set([join(p.dir.path, ".hyperion/agents/pair/home")]),
    );
    // One conversation: created once, then resumed turn after turn.
    expect(runs[0]!.argv).toContain("--session-id");
    expect(runs.slice(1).every((x) => x.argv.includes("--resume"))).toBe(true);
    expect(runs.at(-1)!.turns).toBe(runs.length);
    const [row] = JSON.parse((await p.run(["session", "list", "--format", "json"])).stdout);
    expect(row).toMatchObject({ name: "pair", started: true });
    expect(Date.parse(row.last_used_at)).toBeGreaterThan(Date.parse(row.created_at) - 1);
    expect(row.last_used_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    // The queue got the agent's change, attributed to it.
    const listed = await p.run(["list", "--format", "json"]);
    expect(listed.stdout).toContain('"claude"');
    expect(readFileSync(join(p.dir.path, "src/greet.ts"), "utf8")).toBe(
      readFileSync(join(ROOT, "testapp/src/greet.ts"), "utf8"),
    );
  });
});
