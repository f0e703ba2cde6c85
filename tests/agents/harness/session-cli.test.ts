import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { agentsDir } from "../../../lib/agents/index.ts";
import { defaultConfig } from "../../../lib/schema/index.ts";
import { hyperion, ROOT, tmpdir } from "../../_helpers.ts";
import { kitEnv, readRuns, standinKit } from "./_standin.ts";

setDefaultTimeout(120_000);

const TOKEN = "0cb916db-26aa-40f2-86b5-1ba81b225fd2";

/** testapp at `<tmp>/repo`, initialised, with config forwarding the stand-ins' control variables to every CLI. */
const project = async () => {
  const tmp = await tmpdir("hyperion-session-");
  const path = join(tmp.path, "repo");
  cpSync(join(ROOT, "testapp"), path, { recursive: true });
  // The operator's state directory (the key's place) is the kit's, for init as for every run.
  const init = await hyperion(["init", "--repo", path], { env: { XDG_STATE_HOME: join(tmp.path, "state") } });
  expect(init.exitCode).toBe(0);
  const kit = standinKit({ path, outside: tmp.path });
  const config = defaultConfig();
  for (const cli of ["copilot", "claude", "codex", "gemini"] as const) {
    config.agents[cli].env_extra = ["HYPERION_STANDIN*"];
    config.agents[cli].read_paths = [ROOT, kit.model];
    config.agents[cli].write_paths = [kit.shared];
  }
  writeFileSync(join(path, ".hyperion/config.json"), JSON.stringify(config));
  const env = kitEnv(kit);
  // `dir.path` is the repository; disposing removes the whole temp directory.
  const dir = { path, [Symbol.asyncDispose]: () => tmp[Symbol.asyncDispose]() };
  const home = (name: string) => join(agentsDir(path, env), name, "home");
  return {
    dir,
    kit,
    log: kit.log,
    env,
    home,
    run: (args: string[]) => hyperion([...args, "--repo", path], { env }),
  };
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
    const home = p.home("main");
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
      // An option-shaped id would reach the CLI as that option.
      [
        ["session", "init", "--agent", "claude", "--resume=--dangerously-skip-permissions"],
        "E_SESSION_TOKEN",
      ],
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
    expect(existsSync(agentsDir(p.dir.path, p.env))).toBe(false);
    expect(JSON.parse((await p.run(["session", "list", "--format", "json"])).stdout)).toEqual([]);
  });

  test("request --session runs every turn in the pinned session's agent and home, and records its use", async () => {
    const p = await project();
    await using _ = p.dir;
    expect((await p.run(["session", "init", "--agent", "claude", "--name", "pair"])).exitCode).toBe(0);
    const file = join(p.dir.path, "orchestrate-request-001.json");
    const r = await p.run(["request", file, "--session", "pair", "--format", "json"]);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ status: "enqueued", agent: "claude", fallback: false });
    const runs = readRuns(p.log);
    expect(runs.length).toBeGreaterThanOrEqual(3); // engineer, orchestrator, developer(s)
    expect(runs.every((x) => x.cli === "claude")).toBe(true);
    expect(new Set(runs.map((x) => x.home))).toEqual(new Set([p.home("pair")]));
    // One conversation: created once, then resumed turn after turn.
    expect(runs[0]!.argv.some((a) => a.startsWith("--session-id="))).toBe(true);
    expect(runs.slice(1).every((x) => x.argv.some((a) => a.startsWith("--resume=")))).toBe(true);
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
