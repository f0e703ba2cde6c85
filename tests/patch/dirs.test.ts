import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { applyChange, makeFileChange, rollbackChange } from "../../lib/patch/index.ts";
import type { FileChange } from "../../lib/schema/index.ts";
import { type Fixture, fixture, snapshotTree } from "./_fixture.ts";

const apply = (f: Fixture, ...changes: FileChange[]) => {
  const row = f.signed({ task_id: "t", changes });
  applyChange({ repo: f.repo, db: f.db, secret: f.secret, change: row });
  return row.id;
};

const has = (f: Fixture, p: string) => existsSync(join(f.repo, p));

describe("directories a change empties", () => {
  test("deleting a directory's last file removes it and every parent it emptied; rollback brings them back", async () => {
    await using f = await fixture();
    f.write({ "a/keep.txt": "k\n", "a/b/c/last.txt": "x\n" });
    const before = snapshotTree(f.repo);
    const id = apply(f, makeFileChange("a/b/c/last.txt", "x\n", null));
    expect([has(f, "a/b/c"), has(f, "a/b"), has(f, "a"), has(f, "a/keep.txt")]).toEqual([
      false,
      false,
      true,
      true,
    ]);
    rollbackChange({ repo: f.repo, db: f.db, changeId: id });
    expect(snapshotTree(f.repo)).toEqual(before);
  });

  test("a rename out of a directory removes it when it is left empty", async () => {
    await using f = await fixture();
    f.write({ "src/only/x.ts": "x\n" });
    const before = snapshotTree(f.repo);
    const id = apply(f, makeFileChange("src/only/x.ts", "x\n", null, { newPath: "lib/x.ts" }));
    expect([has(f, "src"), f.read("lib/x.ts")]).toEqual([false, "x\n"]);
    rollbackChange({ repo: f.repo, db: f.db, changeId: id });
    expect(snapshotTree(f.repo)).toEqual(before);
    expect(has(f, "lib")).toBe(false);
  });

  test("never removes a directory holding anything else (an empty subdirectory too), nor the repository root", async () => {
    await using f = await fixture();
    f.write({ "d/gone.txt": "1\n", "e/gone.txt": "2\n", "top.txt": "3\n" });
    mkdirSync(join(f.repo, "e/empty-but-mine"));
    apply(
      f,
      makeFileChange("d/gone.txt", "1\n", null),
      makeFileChange("e/gone.txt", "2\n", null),
      makeFileChange("top.txt", "3\n", null),
    );
    expect([has(f, "d"), has(f, "e/empty-but-mine"), existsSync(f.repo), has(f, ".hyperion")]).toEqual([
      false,
      true,
      true,
      true,
    ]);
  });

  test("rolling back a create removes the directories it made, not those that were there", async () => {
    await using f = await fixture();
    f.write({ "pkg/old.txt": "o\n" });
    mkdirSync(join(f.repo, "was-empty"));
    const id = apply(
      f,
      makeFileChange("pkg/new/deep/n.txt", null, "n\n"),
      makeFileChange("was-empty/n.txt", null, "n\n"),
    );
    rollbackChange({ repo: f.repo, db: f.db, changeId: id });
    expect([has(f, "pkg/new"), has(f, "pkg/old.txt"), has(f, "was-empty")]).toEqual([false, true, true]);
  });
});
