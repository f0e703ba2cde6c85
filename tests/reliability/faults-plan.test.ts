import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  approvePlan,
  parseCommandLine,
  parseWorkplan,
  planIsValid,
  runAllowed,
  runnable,
} from "../../lib/governance/index.ts";
import { makeFileChange } from "../../lib/patch/index.ts";
import { createApplier } from "../../lib/runtime/applier.ts";
import { hyperion } from "../_helpers.ts";
import { faultRepo, planText } from "./_faults-repo.ts";

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
};

// Hostile and ordinary command lines with what `runnable` must say of each (data, so it grows).
const CORPUS = JSON.parse(readFileSync(join(import.meta.dir, "corpus/commands.json"), "utf8")) as {
  line: string;
  runnable: boolean;
  why?: string;
}[];

// Lines the runner refuses: shell operators, and a Cyrillic 'е' (U+0435) in "test".
const REFUSED = [
  "bun test && rm -rf src",
  "bun test | tee out",
  "echo $(id)",
  "echo `id`",
  "bun test > out",
  "bun t\u0435st",
];

describe("plans that cannot wedge", () => {
  for (const line of REFUSED) {
    test(`'${line}' is refused by plan check, plan approve and the runner alike`, async () => {
      await using f = await faultRepo({ files: { "a.txt": "a\n" } });
      const text = planText(["bun --version", line], [line]);
      const plan = parseWorkplan(text);
      expect(planIsValid(plan)).toBe(false);
      const finding = plan.findings.find((x) => x.code === "command_not_runnable");
      expect(finding?.message).toContain("cannot run");
      writeFileSync(join(f.root, "WORKPLAN.md"), text);
      expect(codeOf(() => approvePlan(f.root, f.repo.db, "test"))).toBe("E_PLAN_INVALID");
      expect(codeOf(() => parseCommandLine(line))).toBe("E_COMMAND_NOT_ALLOWED");
      // The runner refuses it even against a plan that lists it (one function decides).
      let code: string | undefined;
      await runAllowed(line, { repo: f.root, plan, governance: f.repo.config.governance }).catch((e) => {
        code = e.code;
      });
      expect(code).toBe("E_COMMAND_NOT_ALLOWED");
    });
  }

  test("the command corpus: each line runnable or refused with its reason, in plan findings too", () => {
    for (const c of CORPUS) {
      const r = runnable(c.line);
      expect({ line: c.line, ok: r.ok }).toEqual({ line: c.line, ok: c.runnable });
      if (!r.ok) expect(r.why).toContain(c.why!);
      const plan = parseWorkplan(planText([c.line], [c.line]));
      expect(plan.findings.some((x) => x.code === "command_not_runnable")).toBe(!c.runnable);
    }
  });

  test("`plan check` names the command and why, and exits non-zero", async () => {
    await using f = await faultRepo({ files: { "a.txt": "a\n" } });
    writeFileSync(
      join(f.root, "WORKPLAN.md"),
      planText(["bun test && bun run lint"], ["bun test && bun run lint"]),
    );
    const r = await hyperion(["plan", "check", "--repo", f.root]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("shell syntax '&&'");
  });

  test("an apply whose validation cannot start is rolled back and fails cleanly", async () => {
    await using f = await faultRepo({
      files: { "a.txt": "a\n" },
      plan: { commands: ["no-such-program-anywhere"], validation: ["no-such-program-anywhere"] },
    });
    // On no PATH: the command cannot be started at all.
    const [c] = f.enqueue([{ task_id: "t", changes: [makeFileChange("a.txt", "a\n", "A\n")] }]);
    const w = createApplier({ repo: f.root, db: f.db, worker: "w", validate: true, commit: false });
    const out = await w.process(1);
    w.close();
    expect(out.map((o) => o.status)).toEqual(["dead"]);
    // The runner reports a program on no PATH as exit 127, as a shell would.
    expect(out[0]?.message).toContain("exited 127; the change was rolled back");
    expect(f.status(c!.id)).toBe("dead");
    expect(f.read("a.txt")).toBe("a\n");
    expect(f.journal(c!.id)).toEqual([
      { kind: "apply", state: "rolled_back" },
      { kind: "rollback", state: "applied" },
    ]);
  });
});
