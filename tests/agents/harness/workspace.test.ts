import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type DeveloperInput,
  fileRequest,
  fillWorkspace,
  listRepoFiles,
  planRequest,
  readWorkspace,
  selectHarness,
} from "../../../lib/agents/index.ts";
import { Config, DeveloperTask, TaskRequest } from "../../../lib/schema/index.ts";
import { sessionsSql } from "../../../lib/store/index.ts";
import { ROOT, tmpdir } from "../../_helpers.ts";
import { contextFor, repoFixture } from "../_repo.ts";
import { kitEnv, readRuns, standinConfig, standinKit } from "./_standin.ts";

setDefaultTimeout(60_000);

const request003 = () =>
  fileRequest({
    ...TaskRequest.parse(
      JSON.parse(readFileSync(join(ROOT, "testapp/orchestrate-request-003.json"), "utf8")),
    ),
    id: "r-003",
  });

/** Each change as the queue would see it: path, operation, new path and resulting hash. */
const shape = (plan: Awaited<ReturnType<typeof planRequest>>) =>
  plan.tasks.map((t) =>
    (t.change?.changes ?? [])
      .map((c) => [c.path, c.operation, c.new_path ?? null, c.new_sha256 ?? null])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
  );

const tree = (dir: string) =>
  Object.fromEntries(listRepoFiles(dir).map((p) => [p, readFileSync(join(dir, p), "utf8")]));

const planWith = async (scenario: string) => {
  const fx = await repoFixture();
  const kit = standinKit(fx);
  const log = kit.log;
  const config = Config.parse({
    agents: { copilot: standinConfig(kit, { mode: "workspace" }), max_concurrent_agents: 2 },
  });
  const env = kitEnv(kit, { HYPERION_STANDIN: scenario });
  const harness = selectHarness("copilot", {
    repo: fx.path,
    config,
    sessions: sessionsSql(fx.repo.db),
    env,
  });
  const before = tree(fx.path);
  const plan = await planRequest({ ...contextFor(fx.repo, harness), config }, request003());
  return { fx, kit, log, plan, before };
};

describe("workspace mode", () => {
  test("a developer's edits of its scratch copy become the same change requests the stub proposes", async () => {
    await using stub = await repoFixture();
    const expected = await planRequest(contextFor(stub.repo), request003());
    const w = await planWith("ok");
    await using _ = w.fx;
    expect(w.plan.fallbacks).toEqual([]);
    expect(w.plan.tasks.every((t) => t.agent === "copilot")).toBe(true);
    expect(shape(w.plan)).toEqual(shape(expected));
    // A rename in the copy is proposed as a rename, not a delete and a create.
    expect(shape(w.plan).flat()).toContainEqual(["src/greet.ts", "rename", "src/greeting.ts", null]);
    // Developers ran in scratch copies, never in the live tree; the copies are gone.
    const devs = readRuns(w.log).filter((r) => r.argv.includes("--allow-tool=write"));
    expect(devs.length).toBe(w.plan.tasks.length);
    for (const r of devs) expect(r.cwd.startsWith(join(w.kit.state, "hyperion"))).toBe(true);
    expect(tree(w.fx.path)).toEqual(w.before);
  });

  test("writes outside the task's owned paths are discarded and reported, never applied", async () => {
    await using stub = await repoFixture();
    const expected = await planRequest(contextFor(stub.repo), request003());
    // Every developer also wrote stray.txt and clobbered its context files (src/math.ts for stats).
    const w = await planWith("stray");
    await using _ = w.fx;
    expect(w.plan.tasks.some((t) => t.task.context_paths.includes("src/math.ts"))).toBe(true);
    // The agent's own work stands (no fallback hides a stray write); only the stray writes go.
    expect(w.plan.fallbacks).toEqual([]);
    expect(w.plan.tasks.every((t) => t.agent === "copilot")).toBe(true);
    expect(shape(w.plan)).toEqual(shape(expected));
    const paths = shape(w.plan)
      .flat()
      .map((c) => c[0]);
    expect(paths).not.toContain("stray.txt");
    expect(tree(w.fx.path)).toEqual(w.before);
  });
});

describe("readWorkspace", () => {
  const task = DeveloperTask.parse({
    id: "r-1-t1",
    request_id: "r-1",
    title: "t",
    owned_paths: ["src/a.ts", "src/old.ts", "src/new.ts", "src/gone.ts"],
    context_paths: ["src/ctx.ts"],
    estimated_tokens: 10,
    edits: [{ op: "rename", path: "src/old.ts", new_path: "src/new.ts" }],
  });
  const input: DeveloperInput = {
    task,
    files: {
      "src/a.ts": "a\n",
      "src/old.ts": "old\n",
      "src/new.ts": null,
      "src/gone.ts": "g\n",
      "src/ctx.ts": "c\n",
    },
  };

  test("owned writes, deletes and a named rename are proposed; everything else is discarded", async () => {
    await using d = await tmpdir();
    const dir = join(d.path, "w");
    fillWorkspace(dir, input.files);
    expect(readdirSync(join(dir, "src")).sort()).toEqual(["a.ts", "ctx.ts", "gone.ts", "old.ts"]);
    writeFileSync(join(dir, "src/a.ts"), "A\n");
    writeFileSync(join(dir, "src/new.ts"), readFileSync(join(dir, "src/old.ts")));
    Bun.spawnSync(["rm", join(dir, "src/old.ts"), join(dir, "src/gone.ts"), join(dir, "src/ctx.ts")]);
    mkdirSync(join(dir, "lib"));
    writeFileSync(join(dir, "lib/extra.ts"), "x\n");
    symlinkSync("/etc/passwd", join(dir, "src/link.ts"));
    const r = readWorkspace(dir, input, "Did it.\nmore");
    expect(r.output.summary).toBe("Did it.");
    expect(r.output.files).toEqual([
      { op: "write", path: "src/a.ts", content: "A\n" },
      { op: "delete", path: "src/gone.ts" },
      { op: "rename", path: "src/old.ts", new_path: "src/new.ts" },
    ]);
    expect(r.discarded).toEqual(["lib/extra.ts", "src/ctx.ts", "src/link.ts"]);
  });
});
