import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync } from "node:fs";
import { join } from "node:path";
import { applyChange, makeFileChange, rollbackChange } from "../../lib/patch/index.ts";
import { type Fixture, fixture, rows, snapshotDb, snapshotTree, thrown } from "./_fixture.ts";

const applied = (f: Fixture) => {
  f.write({ "m.txt": "m1\n", "d.txt": "d1\n", "r.txt": ["r1\n", 0o755] });
  const row = f.signed({
    task_id: "t-rb",
    changes: [
      makeFileChange("m.txt", "m1\n", "m2\n"),
      makeFileChange("d.txt", "d1\n", null),
      makeFileChange("r.txt", "r1\n", "r2\n", { newPath: "moved/r.txt" }),
      makeFileChange("c/new.txt", null, "c\n"),
    ],
  });
  const before = snapshotTree(f.repo);
  applyChange({ repo: f.repo, db: f.db, secret: f.secret, change: row });
  return { id: row.id, before };
};

describe("rollbackChange", () => {
  test("restores every pre-image (content and mode), removes what the change created", async () => {
    await using f = await fixture();
    const { id, before } = applied(f);
    expect(rollbackChange({ repo: f.repo, db: f.db, changeId: id }).files.sort()).toEqual(
      ["c/new.txt", "d.txt", "m.txt", "moved/r.txt", "r.txt"].sort(),
    );
    expect(snapshotTree(f.repo)).toEqual(before);
    expect(existsSync(join(f.repo, "moved"))).toBe(false);
    const state = rows(f.db);
    expect(state.journal).toEqual([
      { change_id: id, kind: "apply", state: "rolled_back" },
      { change_id: id, kind: "rollback", state: "applied" },
    ]);
    expect(
      state.mods
        .filter((m) => m.source === "rollback")
        .map((m) => m.path)
        .sort(),
    ).toEqual(["c/new.txt", "d.txt", "m.txt", "moved/r.txt", "r.txt"].sort());
  });

  test("refuses with E_ROLLBACK_DIVERGED, naming the paths, when a file changed since; nothing is written", async () => {
    await using f = await fixture();
    const { id } = applied(f);
    f.write({ "m.txt": "edited by a person\n" });
    f.write({ "d.txt": "recreated\n" });
    const tree = snapshotTree(f.repo);
    const db = snapshotDb(f.dbPath);
    const e = thrown(() => rollbackChange({ repo: f.repo, db: f.db, changeId: id }));
    expect(e.code).toBe("E_ROLLBACK_DIVERGED");
    expect(e.exitCode).toBe(3);
    expect(e.details?.paths).toEqual(["m.txt", "d.txt"]);
    expect(snapshotTree(f.repo)).toEqual(tree);
    expect(snapshotDb(f.dbPath)).toEqual(db);
  });

  test("a mode change alone does not count as divergence; content does", async () => {
    await using f = await fixture();
    const { id, before } = applied(f);
    chmodSync(join(f.repo, "m.txt"), 0o600);
    rollbackChange({ repo: f.repo, db: f.db, changeId: id });
    expect(snapshotTree(f.repo)).toEqual(before);
  });

  test("a change that is not applied, or already rolled back, is refused with E_NOT_APPLIED", async () => {
    await using f = await fixture();
    expect(thrown(() => rollbackChange({ repo: f.repo, db: f.db, changeId: "cr-none" })).code).toBe(
      "E_NOT_APPLIED",
    );
    const { id } = applied(f);
    rollbackChange({ repo: f.repo, db: f.db, changeId: id });
    const e = thrown(() => rollbackChange({ repo: f.repo, db: f.db, changeId: id }));
    expect(e.code).toBe("E_NOT_APPLIED");
    expect(e.message).toContain("rolled_back");
  });

  test("a large pre-image is stored compressed, a tiny one as is, and both come back byte for byte", async () => {
    await using f = await fixture();
    const big = Array.from({ length: 400 }, (_, i) => `export const value${i} = ${i * 7}; // é\r\n`).join("");
    f.write({ "big.ts": big, "tiny.txt": "t\n" });
    const row = f.signed({
      task_id: "t",
      changes: [makeFileChange("big.ts", big, `${big}// end\r\n`), makeFileChange("tiny.txt", "t\n", "u\n")],
    });
    const before = snapshotTree(f.repo);
    applyChange({ repo: f.repo, db: f.db, secret: f.secret, change: row });
    const stored = f.db
      .query<{ path: string; codec: string | null; n: number }, []>(
        "SELECT path, content_codec AS codec, length(content) AS n FROM pre_images ORDER BY path",
      )
      .all();
    expect(stored.map((r) => [r.path, r.codec])).toEqual([
      ["big.ts", "zstd"],
      ["tiny.txt", null],
    ]);
    expect(stored[0]!.n).toBeLessThan(Buffer.byteLength(big) / 4);
    rollbackChange({ repo: f.repo, db: f.db, changeId: row.id });
    expect(snapshotTree(f.repo)).toEqual(before);
  });

  test("a compressed pre-image edited on disk is E_DB_CORRUPT, and the tree is left as it is", async () => {
    await using f = await fixture();
    const big = "some line of source text\n".repeat(200);
    f.write({ "big.txt": big });
    const row = f.signed({ task_id: "t", changes: [makeFileChange("big.txt", big, `${big}more\n`)] });
    applyChange({ repo: f.repo, db: f.db, secret: f.secret, change: row });
    f.db.run("UPDATE pre_images SET content = x'00010203'");
    const tree = snapshotTree(f.repo);
    expect(thrown(() => rollbackChange({ repo: f.repo, db: f.db, changeId: row.id })).code).toBe(
      "E_DB_CORRUPT",
    );
    expect(snapshotTree(f.repo)).toEqual(tree);
  });
});
