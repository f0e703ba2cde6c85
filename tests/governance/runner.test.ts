import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HyperionError } from "../../lib/errors.ts";
import {
  approvedPlan,
  approvePlan,
  parseCommandLine,
  runAllowed,
  runValidation,
} from "../../lib/governance/index.ts";
import { defaultConfig } from "../../lib/schema/index.ts";
import { initRepo, openRepo } from "../../lib/store/index.ts";
import { tmpdir } from "../_helpers.ts";

const plan = (commands: string[], validation: string[], approved = "yes") => `# WORKPLAN — test

## Plan Metadata
Approval pattern: ^Approved:[[:space:]]+yes$
Required sections: Intent, Commands, Validation, Approval
Validation policy: ${validation.join("; ")}

## Intent
Test the runner.

## Commands
${commands.join("\n")}

## Validation
${validation.join("\n")}

## Approval
Approved: ${approved}
`;

const governance = { ...defaultConfig().governance, command_timeout_ms: 1_000 };

const setup = async (commands: string[], validation: string[] = []) => {
  const dir = await tmpdir();
  writeFileSync(join(dir.path, "WORKPLAN.md"), plan(commands, validation));
  initRepo({ repo: dir.path });
  const repo = openRepo({ repo: dir.path });
  return { dir, repo };
};

const codeOf = async (fn: () => Promise<unknown>): Promise<string> => {
  try {
    await fn();
  } catch (e) {
    if (e instanceof HyperionError) return e.code;
    throw e;
  }
  return "ran";
};

describe("parseCommandLine", () => {
  test("splits words and honours quotes without expanding anything", () => {
    expect(parseCommandLine(`bun test  --grep 'a b' "c d"`)).toEqual(["bun", "test", "--grep", "a b", "c d"]);
  });
});

describe("runAllowed", () => {
  const ATTEMPTS = [
    "echo hello; touch MARKER",
    "echo hello && touch MARKER",
    "echo hello || touch MARKER",
    "echo hello | tee MARKER",
    "echo hello > MARKER",
    "echo $(touch MARKER)",
    "echo `touch MARKER`",
    "echo hello\ntouch MARKER",
    "echo hello touch MARKER",
    "echo hello MARKER",
    "echo",
    "MARKER=1 echo hello",
    "env touch MARKER",
    "./echo hello",
    "/usr/bin/touch MARKER",
    "touch MARKER",
    "echo 'hello'; touch MARKER",
    'echo "$HOME" > MARKER',
    "ech\u043e hello", // Cyrillic o
    "echo\u00a0hello", // no-break space
    "echo hel\u200blo", // zero-width space
    "echo he\u0301llo",
    "echo ~/MARKER",
    "echo hello*",
    "echo hello & touch MARKER",
  ];

  test.each(ATTEMPTS)("refuses %j and executes nothing", async (attempt) => {
    const { dir, repo } = await setup(["echo hello", "touch NOT-MARKER-ALLOWED"]);
    await using _dir = dir;
    using _repo = repo;
    approvePlan(repo.loc.repo, repo.db, "tester");
    const p = approvedPlan(repo.loc.repo, repo.db)!;
    expect(await codeOf(() => runAllowed(attempt, { repo: repo.loc.repo, plan: p, governance }))).toBe(
      "E_COMMAND_NOT_ALLOWED",
    );
    expect(existsSync(join(dir.path, "MARKER"))).toBe(false);
    expect(readdirSync(dir.path).sort()).toEqual([".hyperion", "WORKPLAN.md"]);
  });

  test("runs an enumerated command in the repository with a scrubbed environment", async () => {
    const { dir, repo } = await setup(["env"]);
    await using _dir = dir;
    using _repo = repo;
    approvePlan(repo.loc.repo, repo.db, "tester");
    const p = approvedPlan(repo.loc.repo, repo.db)!;
    const r = await runAllowed("env", {
      repo: repo.loc.repo,
      plan: p,
      governance: { ...governance, env: ["WANTED", "NODE_OPTIONS", "GH_TOKEN"] },
      env: {
        ...process.env,
        WANTED: "yes",
        NODE_OPTIONS: "--require /evil.js",
        GH_TOKEN: "ghp_x",
        OTHER: "no",
      },
    });
    expect(r.exit_code).toBe(0);
    const vars = Object.fromEntries(
      r.stdout
        .trim()
        .split("\n")
        .map((l) => l.split(/=(.*)/s).slice(0, 2)),
    );
    expect(vars.WANTED).toBe("yes");
    expect(vars.PATH).toBeDefined();
    for (const name of ["NODE_OPTIONS", "GH_TOKEN", "OTHER"]) expect(vars[name]).toBeUndefined();
  });

  test("kills a command that outlives its timeout", async () => {
    const { dir, repo } = await setup(["sleep 30"]);
    await using _dir = dir;
    using _repo = repo;
    approvePlan(repo.loc.repo, repo.db, "tester");
    const r = await runAllowed("sleep 30", {
      repo: repo.loc.repo,
      plan: approvedPlan(repo.loc.repo, repo.db)!,
      governance,
    });
    expect(r.timed_out).toBe(true);
    expect(r.exit_code).toBeNull();
  });
});

describe("approvedPlan", () => {
  test("an approved plan edited afterwards runs nothing until a person approves it again", async () => {
    const { dir, repo } = await setup(["touch MARKER"], ["touch MARKER"]);
    await using _dir = dir;
    using _repo = repo;
    expect(await codeOf(async () => approvedPlan(repo.loc.repo, repo.db))).toBe("E_PLAN_NOT_APPROVED");
    approvePlan(repo.loc.repo, repo.db, "tester");
    expect(approvedPlan(repo.loc.repo, repo.db)).not.toBeNull();

    // An edit that still says "Approved: yes" is not the text the person approved.
    writeFileSync(join(dir.path, "WORKPLAN.md"), plan(["touch MARKER", "echo more"], ["touch MARKER"]));
    expect(await codeOf(async () => approvedPlan(repo.loc.repo, repo.db))).toBe("E_PLAN_NOT_APPROVED");
    expect(existsSync(join(dir.path, "MARKER"))).toBe(false);

    approvePlan(repo.loc.repo, repo.db, "tester");
    const v = await runValidation({
      repo: repo.loc.repo,
      plan: approvedPlan(repo.loc.repo, repo.db)!,
      governance,
    });
    expect(v.ok).toBe(true);
    expect(existsSync(join(dir.path, "MARKER"))).toBe(true);
  });

  test("a repository without WORKPLAN.md has no plan, so nothing runs", async () => {
    await using dir = await tmpdir();
    initRepo({ repo: dir.path });
    using repo = openRepo({ repo: dir.path });
    expect(approvedPlan(repo.loc.repo, repo.db)).toBeNull();
  });

  test("an unapproved plan text cannot be approved by a person either", async () => {
    await using dir = await tmpdir();
    writeFileSync(join(dir.path, "WORKPLAN.md"), plan(["echo hi"], [], "no"));
    initRepo({ repo: dir.path });
    using repo = openRepo({ repo: dir.path });
    expect(await codeOf(async () => approvePlan(repo.loc.repo, repo.db, "tester"))).toBe("E_PLAN_INVALID");
  });
});
