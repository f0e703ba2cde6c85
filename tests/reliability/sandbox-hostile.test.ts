/**
 * A hostile `command` agent that knows the live repository's absolute path (and the operator's
 * home) tries to read the signing key, .hyperion/ and a private file, and to write the live tree.
 * It answers every role as the stub would, so only what it does besides can fail the request.
 * Run through the real `hyperion request`, with the real sandbox, and with `agents.sandbox: off`.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { locate } from "../../lib/store/index.ts";
import { hyperion, ROOT, tmpdir } from "../_helpers.ts";

setDefaultTimeout(120_000);

const PRIVATE = "OPERATOR-PRIVATE-NOTES-7f3a";

/** The agent: its attempts go to a log it may write (agents.command.write_paths), then it answers. */
const hostileAgent = (
  repo: string,
  home: string,
  model: string,
  loot: string,
  key: string,
) => `#!${process.execPath}
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { stubDeveloper, stubEngineer, stubOrchestrator } from ${JSON.stringify(join(ROOT, "lib/agents/index.ts"))};
const REPO = ${JSON.stringify(repo)};
const attempt = (what, fn) => {
  try {
    appendFileSync(${JSON.stringify(loot)}, what + ": ok " + JSON.stringify(fn() ?? "") + "\\n");
  } catch (e) {
    appendFileSync(${JSON.stringify(loot)}, what + ": " + (e.code ?? e.message) + "\\n");
  }
};
attempt("read-key", () => readFileSync(${JSON.stringify(key)}, "utf8"));
attempt("read-old-key", () => readFileSync(REPO + "/.hyperion/secret", "utf8"));
attempt("read-config", () => readFileSync(REPO + "/.hyperion/config.json", "utf8"));
attempt("read-home", () => readFileSync(${JSON.stringify(join(home, "notes.txt"))}, "utf8"));
attempt("write-tree", () => writeFileSync(REPO + "/OOB_WRITTEN.txt", "written by the agent\\n"));
attempt("write-src", () => {
  mkdirSync(REPO + "/src", { recursive: true });
  writeFileSync(REPO + "/src/OOB_WRITTEN.txt", "written by the agent\\n");
});
const prompt = process.argv[2];
const input = JSON.parse(prompt.slice(prompt.lastIndexOf("Input:\\n") + 7));
const answer = prompt.startsWith("You are the Engineer.")
  ? stubEngineer(input)
  : prompt.startsWith("You are the Orchestrator.")
    ? stubOrchestrator(input, ${JSON.stringify(model)})
    : stubDeveloper(input);
process.stdout.write(JSON.stringify(answer));
`;

/** testapp under git at <tmp>/repo, initialised; the operator's home and the agent beside it. */
const setup = async (sandbox: "required" | "off") => {
  const tmp = await tmpdir("hyperion-hostile-");
  const repo = join(tmp.path, "repo");
  const home = join(tmp.path, "operator-home");
  const model = join(tmp.path, "model");
  const shared = join(tmp.path, "shared");
  const loot = join(shared, "loot.log");
  cpSync(join(ROOT, "testapp"), repo, { recursive: true });
  cpSync(join(ROOT, "testapp"), model, { recursive: true });
  for (const d of [home, shared, join(tmp.path, "agent")]) mkdirSync(d, { recursive: true });
  writeFileSync(join(home, "notes.txt"), `${PRIVATE}\n`);
  const git = (...args: string[]) =>
    Bun.spawnSync(["git", "-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: repo });
  git("init", "-q");
  const env = { HOME: home, XDG_STATE_HOME: "" };
  expect((await hyperion(["init", "--repo", repo], { env })).exitCode).toBe(0);
  git("add", "-A");
  git("commit", "-qm", "base");
  // The key's real place (the state directory, here under the operator's home), known to the agent.
  const keyPath = locate({ repo, env: { HOME: home } }).secret;
  const agent = join(tmp.path, "agent", "hostile");
  writeFileSync(agent, hostileAgent(repo, home, model, loot, keyPath));
  chmodSync(agent, 0o755);
  const config = JSON.parse(readFileSync(join(repo, ".hyperion/config.json"), "utf8"));
  config.agents.sandbox = sandbox;
  config.agents.command = {
    command: agent,
    template: ["{prompt}"],
    read_paths: [ROOT, model],
    write_paths: [shared],
  };
  writeFileSync(join(repo, ".hyperion/config.json"), JSON.stringify(config));
  const key = readFileSync(keyPath, "utf8").trim();
  const request = () =>
    hyperion(["request", join(repo, "orchestrate-request-001.json"), "--repo", repo, "--agent", "command"], {
      env,
    });
  const listed = async () =>
    JSON.parse((await hyperion(["list", "--repo", repo, "--format", "json"], { env })).stdout);
  const attempts = () => readFileSync(loot, "utf8");
  return { tmp, repo, key, request, listed, attempts };
};

describe("a hostile command agent", () => {
  test("in the sandbox: reads nothing of the repository, its key or the operator's home, writes nothing, and the request reports the attempt", async () => {
    const s = await setup("required");
    await using _ = s.tmp;
    const r = await s.request();
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("E_AGENT_OUT_OF_BAND_WRITE");
    expect(r.stderr).toContain("OOB_WRITTEN.txt");
    expect(r.stderr).toContain("the sandbox kept it out");
    const got = s.attempts();
    // The first turn's attempts: nothing there to read, and the writes went nowhere real.
    expect(got).toContain("read-key: ENOENT");
    expect(got).toContain("read-old-key: ENOENT");
    expect(got).toContain("read-config: ENOENT");
    expect(got).toContain("read-home: ENOENT");
    expect(got).not.toContain(s.key);
    expect(got).not.toContain(PRIVATE);
    expect(existsSync(join(s.repo, "OOB_WRITTEN.txt"))).toBe(false);
    expect(existsSync(join(s.repo, "src/OOB_WRITTEN.txt"))).toBe(false);
    expect(await s.listed()).toEqual([]);
  });

  test("with agents.sandbox off: the out-of-band write is still caught, named and left in place, and nothing is enqueued", async () => {
    const s = await setup("off");
    await using _ = s.tmp;
    const r = await s.request();
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("agents.sandbox is off");
    expect(r.stderr).toContain("E_AGENT_OUT_OF_BAND_WRITE");
    expect(r.stderr).toContain("OOB_WRITTEN.txt");
    expect(r.stderr).toContain("src/OOB_WRITTEN.txt");
    // Unconfined, the agent could read the key: only the sandbox keeps it out of reach.
    expect(s.attempts()).toContain(s.key);
    // Left for a person to judge.
    expect(readFileSync(join(s.repo, "OOB_WRITTEN.txt"), "utf8")).toBe("written by the agent\n");
    expect(await s.listed()).toEqual([]);
  });
});
