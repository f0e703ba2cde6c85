import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  createStubHarness,
  type EngineerInput,
  fileRequest,
  planRequest,
  runTurn,
  selectHarness,
  stubEngineer,
} from "../../../lib/agents/index.ts";
import { Config, EngineerOutput, TaskRequest } from "../../../lib/schema/index.ts";
import { sessionsSql } from "../../../lib/store/index.ts";
import { ROOT } from "../../_helpers.ts";
import { contextFor, repoFixture } from "../_repo.ts";
import { kitEnv, operatorEnv, readRuns, standinConfig, standinKit } from "./_standin.ts";

setDefaultTimeout(60_000);

const request003 = () =>
  fileRequest({
    ...TaskRequest.parse(
      JSON.parse(readFileSync(join(ROOT, "testapp/orchestrate-request-003.json"), "utf8")),
    ),
    id: "r-003",
  });

describe("developer turns in parallel", () => {
  test("at most max_concurrent_agents developers run at once, and they do run together", async () => {
    await using fx = await repoFixture();
    const kit = standinKit(fx);
    const log = kit.log;
    const config = Config.parse({ agents: { gemini: standinConfig(kit), max_concurrent_agents: 2 } });
    const env = kitEnv(kit, {
      HYPERION_STANDIN_LIMIT: "2",
      HYPERION_STANDIN_TOTAL: "4",
    });
    const harness = selectHarness("gemini", { repo: fx.path, config, env });
    const plan = await planRequest({ ...contextFor(fx.repo, harness), config }, request003());
    expect(plan.tasks).toHaveLength(4);
    expect(plan.fallbacks).toEqual([]);
    const seen = readRuns(log).flatMap((r) => (r.running === undefined ? [] : [r.running]));
    expect(seen).toHaveLength(4);
    expect(Math.max(...seen)).toBe(2);
  });

  test("a harness's own timeout_ms caps each of its turns", async () => {
    await using fx = await repoFixture({ "a.ts": "" });
    const kit = standinKit(fx);
    const config = Config.parse({
      agents: { timeout_ms: 600_000, codex: standinConfig(kit, { timeout_ms: 1_000 }) },
    });
    const env = kitEnv(kit, { HYPERION_STANDIN: "hang" });
    const harness = selectHarness("codex", { repo: fx.path, config, env });
    expect(harness.timeoutMs).toBe(1_000);
    const err = await planRequest(
      { ...contextFor(fx.repo, harness), config },
      fileRequest({
        ...TaskRequest.parse({ title: "t", edits: [{ op: "delete", path: "a.ts" }] }),
        id: "r-1",
      }),
    ).catch((e) => e);
    expect(err).toMatchObject({ code: "E_AGENT_TIMEOUT" });
    expect(err.message).toContain("longer than 1000 ms");
  });
});

describe("the command harness", () => {
  const input: EngineerInput = {
    request: { ...TaskRequest.parse({ title: "Document greet", edits: [] }), id: "r-1" },
    answers: [],
    assume: true,
    files: [],
  };
  const setup = async (scenario: string) => {
    const fx = await repoFixture({ "a.ts": "" });
    const kit = standinKit(fx);
    const log = kit.log;
    const config = Config.parse({
      agents: {
        command: {
          command: process.execPath,
          template: [
            join(import.meta.dir, "echo-agent.ts"),
            "--ask",
            "{prompt}",
            "--model",
            "{model}",
            "--in",
            "{workdir}",
          ],
          model: "m-1",
          env: ["HYPERION_STANDIN*"],
          read_paths: [ROOT],
          write_paths: [kit.shared],
        },
      },
    });
    const env = operatorEnv("/nonexistent", {
      XDG_STATE_HOME: kit.state,
      HYPERION_STANDIN: scenario,
      HYPERION_STANDIN_LOG: log,
      SECRET: "x",
    });
    const harness = selectHarness("command", {
      repo: fx.path,
      config,
      sessions: sessionsSql(fx.repo.db),
      env,
    });
    const run = () =>
      runTurn(
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
    return { fx, log, run };
  };

  test("fills its template and reads the answer out of prose", async () => {
    const s = await setup("ok");
    await using _ = s.fx;
    const out = await s.run();
    expect(out).toMatchObject({ agent: "command", output: stubEngineer(input) });
    const [r] = readRuns(s.log);
    expect(r!.argv[3]).toBe("m-1");
    expect(r!.argv[5]).toBe(r!.cwd);
    expect(r!.env).toContain("HYPERION_STANDIN");
    expect(r!.env).not.toContain("SECRET");
  });

  test("a non-zero exit is E_AGENT_EXIT", async () => {
    const s = await setup("fail");
    await using _ = s.fx;
    await expect(s.run()).rejects.toMatchObject({
      code: "E_AGENT_EXIT",
      message: expect.stringContaining("exit 7"),
    });
  });
});
