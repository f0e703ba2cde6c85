// A stack of changes on one file, applied in one call: planned on each other's results in memory,
// the file written once, each change still journalled (and revertible) on its own, and a crash
// anywhere in between settled for the whole stack at once.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import {
  makeFileChange,
  recoverApplies,
  rollbackChange,
  settleChanges,
  sha256Hex,
} from "../../lib/patch/index.ts";
import { applySql } from "../../lib/store/apply-sql.ts";
import { type Fixture, fixture, thrown } from "./_fixture.ts";

/** Three changes stacked on a.txt (1 -> 2 -> 3 -> 4), the middle one also creating b.txt. */
const stack = (f: Fixture) => {
  f.write({ "a.txt": "1\n" });
  return [
    f.signed({ task_id: "t", changes: [makeFileChange("a.txt", "1\n", "2\n")] }),
    f.signed({
      task_id: "t",
      changes: [makeFileChange("a.txt", "2\n", "3\n"), makeFileChange("b.txt", null, "b\n")],
    }),
    f.signed({ task_id: "t", changes: [makeFileChange("a.txt", "3\n", "4\n")] }),
  ];
};

const journal = (f: Fixture) =>
  f.db.query("SELECT change_id, state FROM apply_journal WHERE kind = 'apply' ORDER BY id").all() as {
    change_id: string;
    state: string;
  }[];

const temps = (f: Fixture) => readdirSync(f.repo).filter((n) => n.includes(".hyperion-tmp-"));

describe("a stack applied in one call", () => {
  test("writes each file once, with the last result, and journals every change", async () => {
    await using f = await fixture();
    const changes = stack(f);
    const steps: string[] = [];
    const out = f.applyAll(changes, { onStep: (s) => steps.push(s) });
    expect(out.map((o) => o.ok)).toEqual([true, true, true]);
    expect(f.read("a.txt")).toBe("4\n");
    expect(f.read("b.txt")).toBe("b\n");
    expect(steps.filter((s) => s === "temp:a.txt")).toHaveLength(1);
    expect(steps.filter((s) => s === "rename:a.txt")).toHaveLength(1);
    expect(journal(f).map((j) => j.state)).toEqual(["applied", "applied", "applied"]);
    // Each change's pre-image is what it found, in memory or on disk; one whole file per group:
    // the later changes keep their own patch, to be reversed on what they left.
    const pre = f.db
      .query("SELECT change_id, derived, sha256 FROM pre_images WHERE path = 'a.txt' ORDER BY id")
      .all() as { change_id: string; derived: number; sha256: string }[];
    expect(pre.map((p) => [p.change_id, p.derived])).toEqual(changes.map((c, i) => [c.id, i === 0 ? 0 : 1]));
    expect(pre.map((p) => p.sha256)).toEqual(["1\n", "2\n", "3\n"].map(sha256Hex));
    // Each change is revertible on its own, newest first.
    for (const [c, left] of [
      [changes[2]!, "3\n"],
      [changes[1]!, "2\n"],
      [changes[0]!, "1\n"],
    ] as const) {
      rollbackChange({ repo: f.repo, db: f.db, changeId: c.id });
      expect(f.read("a.txt")).toBe(left);
    }
    expect(existsSync(join(f.repo, "b.txt"))).toBe(false);
  });

  test("two spellings of one key are planned apart, each on what its own file holds (two files here)", async () => {
    await using f = await fixture();
    // This file system tells case apart: A.txt and a.txt are two files, each edited from its own base.
    f.write({ "A.txt": "upper\n", "a.txt": "lower\n" });
    const out = f.applyAll([
      f.signed({ task_id: "t", changes: [makeFileChange("A.txt", "upper\n", "UPPER\n")] }),
      f.signed({ task_id: "t", changes: [makeFileChange("a.txt", "lower\n", "LOWER\n")] }),
    ]);
    expect(out.map((o) => (o.ok ? "ok" : o.error.code))).toEqual(["ok", "ok"]);
    expect([f.read("A.txt"), f.read("a.txt")]).toEqual(["UPPER\n", "LOWER\n"]);
  });

  test("a pre-image kept as a patch is rebuilt only from what its change left, and checked by its hash", async () => {
    await using f = await fixture();
    const changes = stack(f);
    f.applyAll(changes);
    // The middle change's file was changed since by the last: refused, forced or not.
    const middle = changes[1]!.id;
    expect(thrown(() => rollbackChange({ repo: f.repo, db: f.db, changeId: middle })).code).toBe(
      "E_ROLLBACK_DIVERGED",
    );
    const forced = thrown(() =>
      rollbackChange({ repo: f.repo, db: f.db, changeId: middle, force: { payload: changes[1]!.payload } }),
    );
    expect(forced.code).toBe("E_ROLLBACK_CONFLICT");
    expect(forced.message).toContain("a.txt (its pre-image is kept as its patch reversed");
    // A kept patch edited in the database gives another pre-image: refused by its hash, nothing written.
    const last = changes[2]!.id;
    const edited = makeFileChange("a.txt", "X\n", "4\n").patch!;
    f.db.run("UPDATE pre_images SET content = ?, content_codec = NULL WHERE change_id = ? AND derived = 1", [
      Buffer.from(edited),
      last,
    ]);
    expect(thrown(() => rollbackChange({ repo: f.repo, db: f.db, changeId: last })).code).toBe(
      "E_PRE_IMAGE_CORRUPT",
    );
    expect(f.read("a.txt")).toBe("4\n");
  });

  test("a change that fails leaves those stacked behind it unattempted (E_BEHIND_FAILED), nothing written", async () => {
    await using f = await fixture();
    f.write({ "a.txt": "1\n", "c.txt": "c\n" });
    // Its base matches neither the file nor anything that rebases: a conflict.
    const bad = f.signed({ task_id: "t", changes: [makeFileChange("a.txt", "9\n", "2\n")] });
    const behind = f.signed({ task_id: "t", changes: [makeFileChange("a.txt", "2\n", "3\n")] });
    const other = f.signed({ task_id: "t", changes: [makeFileChange("c.txt", "c\n", "C\n")] });
    const out = f.applyAll([bad, behind, other]);
    expect(out[0]!.ok).toBe(false);
    expect(out[1]!.ok ? null : out[1]!.error.code).toBe("E_BEHIND_FAILED");
    expect(out[1]!.ok ? null : out[1]!.error.details?.after).toBe(bad.id);
    expect(out[2]!.ok).toBe(true);
    expect(f.read("a.txt")).toBe("1\n");
    expect(f.read("c.txt")).toBe("C\n");
    expect(journal(f).map((j) => j.change_id)).toEqual([other.id]);
  });

  test("a lost lease on the first change fails the whole stack before anything is written", async () => {
    await using f = await fixture();
    const changes = stack(f);
    const out = f.applyAll(changes, { fence: (id) => id !== changes[0]!.id });
    expect(out.map((o) => (o.ok ? "ok" : o.error.code))).toEqual([
      "E_LEASE_LOST",
      "E_BEHIND_FAILED",
      "E_BEHIND_FAILED",
    ]);
    expect(f.read("a.txt")).toBe("1\n");
    expect(existsSync(join(f.repo, "b.txt"))).toBe(false);
    expect(journal(f)).toEqual([]);
  });

  describe("a crash mid-stack is settled for the whole stack", () => {
    /** Applies the stack, stopping (as a crash would) at `at`; the entries stay pending. */
    const crashAt = async (f: Fixture, at: string) => {
      const changes = stack(f);
      expect(() =>
        f.applyAll(changes, {
          onStep: (s) => {
            if (s === at) throw new Error("crash");
          },
        }),
      ).toThrow("crash");
      expect(journal(f).map((j) => j.state)).toEqual(["pending", "pending", "pending"]);
      return changes;
    };

    test("temps complete, nothing renamed: recovery rolls every entry forward", async () => {
      await using f = await fixture();
      await crashAt(f, "temps");
      expect(f.read("a.txt")).toBe("1\n");
      const r = recoverApplies({ repo: f.repo, db: f.db, force: true });
      expect(r.stuck).toEqual([]);
      expect(r.rolledForward).toHaveLength(3);
      expect([f.read("a.txt"), f.read("b.txt")]).toEqual(["4\n", "b\n"]);
      expect(journal(f).map((j) => j.state)).toEqual(["applied", "applied", "applied"]);
      expect(temps(f)).toEqual([]);
    });

    test("intents recorded, no temp written: recovery undoes every entry", async () => {
      await using f = await fixture();
      await crashAt(f, "intent");
      const r = recoverApplies({ repo: f.repo, db: f.db, force: true });
      expect(r.stuck).toEqual([]);
      expect(r.rolledBack).toHaveLength(3);
      expect(f.read("a.txt")).toBe("1\n");
      expect(existsSync(join(f.repo, "b.txt"))).toBe(false);
      expect(journal(f).map((j) => j.state)).toEqual(["aborted", "aborted", "aborted"]);
    });

    test("pending after the stack's renames: one change named settles the whole stack", async () => {
      await using f = await fixture();
      const changes = await crashAt(f, "temps");
      // The renames a dead process finished: recovery's forward path, done by hand.
      recoverApplies({ repo: f.repo, db: f.db, force: true });
      expect(f.read("a.txt")).toBe("4\n");
      // Undoing it whole from the last change alone needs the first change's pre-image.
      for (const row of journal(f)) expect(row.state).toBe("applied");
      f.db.run("UPDATE apply_journal SET state = 'pending'");
      const r = settleChanges({ repo: f.repo, db: f.db }, [changes[2]!.id]);
      expect(r.rolledBack.sort()).toEqual(changes.map((c) => c.id).sort());
      expect(f.read("a.txt")).toBe("1\n");
      expect(existsSync(join(f.repo, "b.txt"))).toBe(false);
      expect(applySql(f.db).pending()).toEqual([]);
    });
  });

  test("an error mid-renames undoes the renames already made, for every change of the stack", async () => {
    await using f = await fixture();
    const changes = stack(f);
    const out = f.applyAll(changes, {
      onStep: (s) => {
        if (s === "rename:b.txt") throw new Error("disk gone");
      },
    });
    // All three share a.txt: one unit, written and undone together.
    expect(out.map((o) => (o.ok ? "ok" : o.error.code))).toEqual(["E_IO", "E_IO", "E_IO"]);
    expect(f.read("a.txt")).toBe("1\n");
    expect(existsSync(join(f.repo, "b.txt"))).toBe(false);
    expect(temps(f)).toEqual([]);
  });
});
