import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseWorkplan, planIsValid } from "../../lib/governance/index.ts";
import { hyperion, ROOT, tmpdir } from "../_helpers.ts";

// The plan the product was first described in, kept as data: Hyperion reads that very format.
const SEED_PATH = join(ROOT, "tests/fixtures/WORKPLAN.seed.md");
const SEED = readFileSync(SEED_PATH, "utf8");
const REQUIRED = [
  "Intent",
  "Goals",
  "Non-Goals",
  "Scope",
  "Constraints",
  "Plan",
  "Commands",
  "Validation",
  "Approval",
];

describe("parseWorkplan", () => {
  test("parses the seed plan: nine required sections, approval, validation commands allowed", () => {
    const plan = parseWorkplan(SEED);
    expect(plan.metadata.requiredSections?.names).toEqual(REQUIRED);
    for (const name of REQUIRED) expect(plan.sections.map((s) => s.name)).toContain(name);
    expect(plan.approved).toBe(true);
    expect(plan.approvalLine).toBe(SEED.split("\n").indexOf("Approved: yes") + 1);
    expect(plan.metadata.validationPolicy?.commands).toEqual([
      "cargo fmt --check",
      "cargo clippy --workspace --all-targets --all-features",
      "cargo test --workspace",
    ]);
    expect(plan.commands.map((c) => c.command)).toEqual([
      "cargo fmt --check",
      "cargo clippy --workspace --all-targets --all-features",
      "cargo test --workspace",
      "cargo build",
      "cargo run",
    ]);
    expect(plan.findings).toEqual([]);
    expect(planIsValid(plan)).toBe(true);
  });

  test("reads every checkbox item, checked or not, with its section", () => {
    const plan = parseWorkplan(SEED);
    const expected = SEED.split("\n").filter((l) => /^\s*(- )*-\s+\[[ xX]\]/.test(l)).length;
    expect(plan.checkboxes).toHaveLength(expected);
    expect(plan.checkboxes[0]).toMatchObject({ checked: true, text: "cargo fmt --check", section: "Plan" });
  });

  test("an unapproved copy is refused, pointing at the Approval section", () => {
    const text = SEED.replace("Approved: yes", "Approved: no");
    const plan = parseWorkplan(text);
    expect(plan.approved).toBe(false);
    const finding = plan.findings.find((f) => f.code === "not_approved");
    expect(finding?.line).toBe(text.split("\n").indexOf("## Approval") + 1);
  });

  test("missing sections are reported with the line of 'Required sections'", () => {
    const text = SEED.replace("## Non-Goals", "## Nongoals").replace("## Scope\n", "## Scoping\n");
    const plan = parseWorkplan(text);
    const missing = plan.findings.filter((f) => f.code === "missing_section");
    expect(missing.map((f) => f.message)).toEqual([
      "required section 'Non-Goals' is missing",
      "required section 'Scope' is missing",
    ]);
    expect(missing.every((f) => f.line === 5)).toBe(true);
  });

  test("a validation command the Commands section does not enumerate is an error on its line", () => {
    const text = SEED.replace(
      "Validation policy: cargo fmt --check;",
      "Validation policy: rm -rf /; cargo fmt --check;",
    );
    const plan = parseWorkplan(text);
    expect(plan.findings).toContainEqual(
      expect.objectContaining({
        code: "command_not_enumerated",
        line: 6,
        message: expect.stringContaining("rm -rf /"),
      }),
    );
  });
});

describe("hyperion plan check", () => {
  test("the seed is valid but waits for a person until approved; a broken copy exits 2 with line numbers", async () => {
    await using dir = await tmpdir();
    const plan = join(dir.path, "WORKPLAN.md");
    writeFileSync(plan, SEED);
    expect((await hyperion(["init", "--repo", dir.path])).exitCode).toBe(0);

    const unapproved = await hyperion(["plan", "check", "--repo", dir.path]);
    expect(unapproved.exitCode).toBe(3);
    expect(unapproved.stdout).toContain("valid, not approved: run `hyperion plan approve`");
    expect(unapproved.stdout).not.toContain("valid and approved");

    expect((await hyperion(["plan", "approve", "--repo", dir.path])).exitCode).toBe(0);
    const ok = await hyperion(["plan", "check", "--repo", dir.path, "--format", "json"]);
    expect(ok.exitCode).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      valid: true,
      approved: true,
      recorded_approval: true,
      findings: [],
    });

    writeFileSync(plan, SEED.replace("Approved: yes", "Approved: maybe").replace("## Goals\n", "## Aims\n"));
    const bad = await hyperion(["plan", "check", "--repo", dir.path]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stdout).toContain("error line 5: required section 'Goals' is missing");
    expect(bad.stdout).toMatch(/error line \d+: no line of the Approval section matches/);
  });

  test("a missing file exits 2 with one line", async () => {
    const r = await hyperion(["plan", "check", "/nonexistent/WORKPLAN.md"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toStartWith("hyperion: E_PLAN_MISSING");
  });
});
