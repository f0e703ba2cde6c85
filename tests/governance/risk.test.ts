import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { assessRisk, parseWorkplan, validationInputs } from "../../lib/governance/index.ts";
import { type ChangeRequest, Config } from "../../lib/schema/index.ts";
import { tmpdir } from "../_helpers.ts";

const policy = Config.parse({}).risk;
const hex = "0".repeat(64);
const modify = (path: string, lines = 1): ChangeRequest["changes"][number] => ({
  path,
  operation: "modify",
  patch: `--- a/${path}\n+++ b/${path}\n@@ -1,${lines} +1,${lines} @@\n${"-old\n".repeat(lines)}${"+new\n".repeat(lines)}`,
  base_sha256: hex,
  new_sha256: hex,
});
const cr = (...changes: ChangeRequest["changes"]): ChangeRequest => ({ task_id: "t", changes });

describe("assessRisk", () => {
  test("a small source edit is low risk and goes straight to the queue", () => {
    const r = assessRisk(cr(modify("src/a.ts")), policy);
    expect(r).toMatchObject({ level: "low", needs_approval: false, score: 0 });
  });

  test.each([
    "package.json",
    "web/package.json",
    ".github/workflows/ci.yml",
    "bunfig.toml",
    "WORKPLAN.md",
    "bun.lock",
  ])("a change to %s waits for a person", (path) => {
    const r = assessRisk(cr(modify(path)), policy);
    expect(r.needs_approval).toBe(true);
    expect(r.reasons.map((x) => x.path)).toContain(path);
  });

  test("deletions, big diffs and executable bits add up", () => {
    const del = (path: string) => ({ path, operation: "delete" as const, base_sha256: hex });
    expect(assessRisk(cr(del("a"), del("b")), policy).needs_approval).toBe(false);
    expect(assessRisk(cr(del("a"), del("b"), del("c")), policy).needs_approval).toBe(true);
    expect(assessRisk(cr(modify("src/big.ts", 1000)), policy).needs_approval).toBe(true);
    const exec = { ...modify("tool"), patch: `diff --git a/tool b/tool\nold mode 100644\nnew mode 100755\n` };
    expect(assessRisk(cr(exec), policy).reasons.map((x) => x.rule)).toContain("executable");
  });
});

describe("validationInputs", () => {
  test("files the plan's commands run and the test preloads count as what validation executes", async () => {
    await using dir = await tmpdir();
    mkdirSync(join(dir.path, "scripts"));
    mkdirSync(join(dir.path, "test"));
    writeFileSync(join(dir.path, "scripts/check.sh"), "#!/bin/sh\n");
    writeFileSync(join(dir.path, "test/setup.ts"), "");
    writeFileSync(join(dir.path, "bunfig.toml"), '[test]\npreload = ["./test/setup.ts"]\n');
    const plan = parseWorkplan("## Commands\n./scripts/check.sh\nbun test\n");
    const inputs = validationInputs(dir.path, plan);
    expect([...inputs].sort()).toEqual(["scripts/check.sh", "test/setup.ts"]);
    expect(assessRisk(cr(modify("test/setup.ts")), policy, inputs).needs_approval).toBe(true);
    expect(assessRisk(cr(modify("scripts/check.sh")), policy, inputs).needs_approval).toBe(true);
  });
});
