import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { HyperionError } from "../../lib/errors.ts";
import {
  APPROVAL_BUDGET_MS,
  approvedPlan,
  approvePlan,
  backtrackingRisk,
  MAX_PLAN_BYTES,
  parseWorkplan,
  planStatus,
  runAllowed,
  safePath,
} from "../../lib/governance/index.ts";
import { defaultConfig } from "../../lib/schema/index.ts";
import { initRepo, openRepo } from "../../lib/store/index.ts";
import { tmpdir } from "../_helpers.ts";

const plan = (commands: string[], pattern = "^Approved:[[:space:]]+yes$", approval = ["Approved: yes"]) =>
  `# WORKPLAN — hostile

## Plan Metadata
Approval pattern: ${pattern}
Required sections: Commands, Approval
Validation policy: ${commands.join("; ")}

## Commands
${commands.join("\n")}

## Approval
${approval.join("\n")}
`;

const governance = { ...defaultConfig().governance, command_timeout_ms: 20_000 };

const rejects = (fn: () => unknown): HyperionError => {
  try {
    fn();
  } catch (e) {
    return e as HyperionError;
  }
  throw new Error("expected a throw");
};

describe("the runner never runs a program from inside the repository", () => {
  test("a planted bin/bun is not run when the repository is entered through a symlinked path", async () => {
    await using dir = await tmpdir("hyperion-hostile-");
    const real = join(dir.path, "real");
    mkdirSync(join(real, "bin"), { recursive: true });
    const marker = join(dir.path, "PLANTED_RAN");
    writeFileSync(join(real, "bin/bun"), `#!/bin/sh\ntouch ${marker}\necho 1.0.0-planted\n`);
    chmodSync(join(real, "bin/bun"), 0o755);
    writeFileSync(join(real, "WORKPLAN.md"), plan(["bun --version"]));
    const link = join(dir.path, "link");
    symlinkSync(real, link);
    initRepo({ repo: link });
    using repo = openRepo({ repo: link });
    approvePlan(link, repo.db, "alice");
    const approved = approvedPlan(link, repo.db)!;
    const system = process.env.PATH ?? "/usr/bin:/bin";

    // The planted directory first on PATH, named through the link, through the real path, and
    // through a second link into it: none survives the filter.
    const other = join(dir.path, "other-link");
    symlinkSync(join(real, "bin"), other);
    for (const planted of [join(link, "bin"), join(real, "bin"), other]) {
      expect(safePath(`${planted}:${system}`, link).split(":")).not.toContain(planted);
      const r = await runAllowed("bun --version", {
        repo: link,
        plan: approved,
        governance,
        env: { PATH: `${planted}:${system}` },
      });
      expect(existsSync(marker)).toBe(false);
      expect(r.exit_code).toBe(0);
      expect(r.stdout.trim()).toBe(Bun.version);
    }
  });

  test("a command named by a path inside the repository is refused, not run", async () => {
    await using dir = await tmpdir("hyperion-hostile-");
    const real = join(dir.path, "real");
    mkdirSync(join(real, "bin"), { recursive: true });
    const marker = join(dir.path, "PLANTED_RAN");
    writeFileSync(join(real, "bin/check"), `#!/bin/sh\ntouch ${marker}\n`);
    chmodSync(join(real, "bin/check"), 0o755);
    writeFileSync(join(real, "WORKPLAN.md"), plan(["./bin/check"]));
    const link = join(dir.path, "link");
    symlinkSync(real, link);
    initRepo({ repo: link });
    using repo = openRepo({ repo: link });
    approvePlan(link, repo.db, "alice");
    const r = await runAllowed("./bin/check", { repo: link, plan: approvedPlan(link, repo.db)!, governance });
    expect(r.exit_code).toBe(126);
    expect(r.stderr).toContain("inside the repository");
    expect(existsSync(marker)).toBe(false);
  });
});

describe("WORKPLAN.md is a bounded regular file in the repository", () => {
  test("a WORKPLAN.md that is a symlink out of the repository is refused, and its command never runs", async () => {
    await using dir = await tmpdir("hyperion-hostile-");
    const repoDir = join(dir.path, "repo");
    mkdirSync(repoDir);
    const outside = join(dir.path, "elsewhere.md");
    writeFileSync(outside, plan(["bun --version"]));
    symlinkSync(outside, join(repoDir, "WORKPLAN.md"));
    initRepo({ repo: repoDir });
    using repo = openRepo({ repo: repoDir });
    expect(rejects(() => planStatus(repoDir, repo.db)).code).toBe("E_PLAN_UNSAFE");
    expect(rejects(() => approvePlan(repoDir, repo.db, "alice")).code).toBe("E_PLAN_UNSAFE");
    expect(rejects(() => approvedPlan(repoDir, repo.db)).code).toBe("E_PLAN_UNSAFE");
    // A dangling link is refused too, rather than read as "no plan" (which would run nothing,
    // but hide that the file is not what it seems).
    unlinkSync(join(repoDir, "WORKPLAN.md"));
    symlinkSync(join(dir.path, "nowhere.md"), join(repoDir, "WORKPLAN.md"));
    expect(rejects(() => planStatus(repoDir, repo.db)).oneLine()).toContain("symbolic link");
  });

  test("a plan over the size limit is refused before it is read", async () => {
    await using dir = await tmpdir("hyperion-hostile-");
    writeFileSync(join(dir.path, "WORKPLAN.md"), `${plan(["bun --version"])}${"x".repeat(MAX_PLAN_BYTES)}\n`);
    initRepo({ repo: dir.path });
    using repo = openRepo({ repo: dir.path });
    expect(rejects(() => planStatus(dir.path, repo.db)).code).toBe("E_PLAN_TOO_LARGE");
  });

  test("an approval pattern that can backtrack exponentially is refused before it runs", () => {
    for (const pattern of ["^(a|a)*$", "^(a+)+$", "^([a-z]+ )+yes$", "^a*b*c*d*e$"]) {
      const p = parseWorkplan(plan(["bun --version"], pattern, [`${"a".repeat(40)}!`]));
      expect(p.approved).toBe(false);
      expect(p.findings.find((f) => f.code === "bad_pattern")?.message).toContain("exponential time");
    }
    expect(parseWorkplan(plan(["bun --version"])).approved).toBe(true);
    // Read over escapes and bracket expressions: what they hold is no group or quantifier.
    expect(backtrackingRisk("^[[:space:]]+(a+)+$")).not.toBeNull();
    expect(backtrackingRisk("^[(]+x[)]*$")).toBeNull();
    expect(backtrackingRisk("^\\(a+\\)+$")).toBeNull();
    expect(backtrackingRisk("^(Approved|OK):[[:space:]]+yes$")).toBeNull();
    expect(backtrackingRisk("^[[:x")).toBeNull();
  });

  test("an approval pattern that is slow on every line stops at its time budget", () => {
    // Allowed by the static check (three quantifiers: cubic), each long line costs it some
    // milliseconds; thousands of them would cost seconds. A 1 ms budget stops it early.
    const lines = Array.from({ length: 3000 }, () => `${"a".repeat(199)}!`);
    const p = parseWorkplan(plan(["bun --version"], "^a*a*a*b$", lines), { approvalBudgetMs: 1 });
    expect(p.approved).toBe(false);
    expect(p.findings.find((f) => f.code === "pattern_budget")?.message).toContain("took over 1 ms");
    expect(APPROVAL_BUDGET_MS).toBe(200);
  });
});
