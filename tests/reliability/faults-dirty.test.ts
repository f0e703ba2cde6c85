import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeFileChange } from "../../lib/patch/index.ts";
import { createApplier } from "../../lib/runtime/applier.ts";
import { run } from "../_helpers.ts";
import { faultRepo } from "./_faults-repo.ts";

const validateOne = async (f: Awaited<ReturnType<typeof faultRepo>>) => {
  const w = createApplier({ repo: f.root, db: f.db, worker: "w", validate: true, commit: false });
  try {
    return await w.process(1);
  } finally {
    w.close();
  }
};

describe("validation that edits the tree", () => {
  test("editing the change's own path fails with E_VALIDATION_DIRTY and the tree is restored", async () => {
    await using f = await faultRepo({
      files: { "a.txt": "a\n", "edit.sh": "echo sneaky >> a.txt\n" },
      plan: { commands: ["sh edit.sh"], validation: ["sh edit.sh"] },
    });
    const [c] = f.enqueue([{ task_id: "t", changes: [makeFileChange("a.txt", "a\n", "A\n")] }]);
    const out = await validateOne(f);
    expect(out.map((o) => [o.status, o.code])).toEqual([["dead", "E_VALIDATION_DIRTY"]]);
    expect(out[0]?.message).toContain("a.txt");
    expect(f.read("a.txt")).toBe("a\n");
    expect(f.status(c!.id)).toBe("dead");
    expect(f.journal(c!.id)).toEqual([
      { kind: "apply", state: "rolled_back" },
      { kind: "rollback", state: "applied" },
    ]);
  });

  test("editing other tracked files (clean or with uncommitted edits) is caught and undone", async () => {
    await using f = await faultRepo({
      files: {
        "a.txt": "a\n",
        "b.txt": "b\n",
        "c.txt": "c\n",
        "edit.sh": "echo x >> b.txt\nrm c.txt\necho untracked > new.txt\n",
      },
      plan: { commands: ["sh edit.sh"], validation: ["sh edit.sh"] },
    });
    const git = (...args: string[]) =>
      run(["git", "-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: f.root });
    await git("init", "-q");
    await git("add", "-A");
    await git("commit", "-qm", "base");
    writeFileSync(join(f.root, "c.txt"), "c, edited by the operator\n"); // uncommitted work
    const [c] = f.enqueue([{ task_id: "t", changes: [makeFileChange("a.txt", "a\n", "A\n")] }]);
    const out = await validateOne(f);
    expect(out.map((o) => [o.status, o.code])).toEqual([["dead", "E_VALIDATION_DIRTY"]]);
    expect(out[0]?.message).toContain("b.txt, c.txt");
    expect([f.read("a.txt"), f.read("b.txt"), f.read("c.txt")]).toEqual([
      "a\n",
      "b\n",
      "c, edited by the operator\n",
    ]);
    // Untracked output (caches, reports) is the command's business.
    expect(f.read("new.txt")).toBe("untracked\n");
    expect(f.status(c!.id)).toBe("dead");
  });

  test("a validation that only reads the tree passes", async () => {
    await using f = await faultRepo({
      files: { "a.txt": "a\n", "read.sh": "cat a.txt > /dev/null\ntouch a.txt\n" },
      plan: { commands: ["sh read.sh"], validation: ["sh read.sh"] },
    });
    f.enqueue([{ task_id: "t", changes: [makeFileChange("a.txt", "a\n", "A\n")] }]);
    expect((await validateOne(f)).map((o) => o.status)).toEqual(["applied"]);
    expect(f.read("a.txt")).toBe("A\n");
  });
});
