import { describe, expect, test } from "bun:test";
import { makeFileChange } from "../../lib/patch/index.ts";
import { createApplier } from "../../lib/runtime/applier.ts";
import { faultRepo, planText } from "./_faults-repo.ts";

describe("plan edits and file limits", () => {
  test("an approved change to WORKPLAN.md drains; the new text then waits for `plan approve`", async () => {
    await using f = await faultRepo({
      files: { "a.txt": "a\n" },
      plan: { commands: ["true"], validation: ["true"] },
    });
    const before = planText(["true"], ["true"]);
    const after = planText(["true", "bun --version"], ["true"]);
    // Plan edits are held for a person; this one was approved, so it is queued.
    const [p, a] = f.enqueue([
      { task_id: "t", changes: [makeFileChange("WORKPLAN.md", before, after)] },
      { task_id: "t", changes: [makeFileChange("a.txt", "a\n", "A\n")] },
    ]);
    const w = createApplier({ repo: f.root, db: f.db, worker: "w", validate: true, commit: false });
    try {
      expect((await w.process(1)).map((o) => [o.id, o.status])).toEqual([[p!.id, "applied"]]);
      expect(f.read("WORKPLAN.md")).toBe(after);
      // The next change is not validated under an unapproved plan: released untouched, for a person.
      expect((await w.process(1)).map((o) => [o.id, o.status, o.code])).toEqual([
        [a!.id, "held", "E_PLAN_NOT_APPROVED"],
      ]);
      expect(f.read("a.txt")).toBe("a\n");
      expect(f.status(a!.id)).toBe("queued");
      const { approvePlan } = await import("../../lib/governance/index.ts");
      approvePlan(f.root, f.repo.db, "test");
      expect((await w.process(1)).map((o) => [o.id, o.status, o.message])).toEqual([
        [a!.id, "applied", null],
      ]);
      expect(f.status(p!.id)).toBe("applied");
    } finally {
      w.close();
    }
  });

  test("a post-image over limits.max_file_bytes is refused and never written", async () => {
    const small = `${"x".repeat(90)}\n`;
    const big = `${small}${"y".repeat(90)}\n`;
    await using f = await faultRepo({
      files: { "a.txt": small },
      config: { limits: { max_file_bytes: 128 } },
    });
    const [c] = f.enqueue([{ task_id: "t", changes: [makeFileChange("a.txt", small, big)] }]);
    const w = createApplier({ repo: f.root, db: f.db, worker: "w", validate: false, commit: false });
    const out = await w.process(32);
    w.close();
    expect(out.map((o) => [o.status, o.code])).toEqual([["dead", "E_TOO_LARGE"]]);
    expect(f.read("a.txt")).toBe(small);
    expect(f.status(c!.id)).toBe("dead");
    expect(f.journal(c!.id)).toEqual([]);
  });
});
