import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import {
  applyChange,
  applyChanges,
  makeFileChange,
  rollbackChange,
  validateChangeRequest,
} from "../../lib/patch/index.ts";
import type { FileChange } from "../../lib/schema/index.ts";
import { type Fixture, fixture, limits, rows, snapshotTree } from "./_fixture.ts";

const modeOf = (f: Fixture, p: string) => Number(statSync(join(f.repo, p)).mode) & 0o777;
const bytes = (f: Fixture, p: string) => readFileSync(join(f.repo, p));

/** Validates, signs and applies one change request, as enqueue and a worker would. */
const apply = (f: Fixture, ...changes: FileChange[]) => {
  const cr = { task_id: "t-rt", changes };
  const { stale } = validateChangeRequest(cr, { repo: f.repo, limits });
  expect(stale).toEqual([]);
  const row = f.signed(cr);
  return { id: row.id, result: applyChange({ repo: f.repo, db: f.db, secret: f.secret, change: row }) };
};

/** Applies a change, checks every file's bytes, rolls it back and checks the tree is as it was. */
const roundTrip = (f: Fixture, changes: FileChange[], expectAfter: Record<string, string | null>) => {
  const before = snapshotTree(f.repo);
  const { id } = apply(f, ...changes);
  for (const [p, content] of Object.entries(expectAfter)) {
    if (content === null) expect(existsSync(join(f.repo, p))).toBe(false);
    else expect(bytes(f, p).toString("utf8")).toBe(content);
  }
  rollbackChange({ repo: f.repo, db: f.db, changeId: id });
  expect(snapshotTree(f.repo)).toEqual(before);
};

describe("round trips: apply gives exactly the proposed content, rollback gives back the tree", () => {
  test("create, in new directories, then rollback removes the directories too", async () => {
    await using f = await fixture();
    roundTrip(f, [makeFileChange("src/deep/new.ts", null, "export {};\n")], {
      "src/deep/new.ts": "export {};\n",
    });
    expect(existsSync(join(f.repo, "src"))).toBe(false);
  });

  test("modify", async () => {
    await using f = await fixture();
    const before = "a\nb\nc\nd\ne\nf\ng\nh\n";
    const after = "a\nB\nc\nd\ne\nf\nG\nh\ni\n";
    f.write({ "m.txt": before });
    roundTrip(f, [makeFileChange("m.txt", before, after)], { "m.txt": after });
  });

  test("delete", async () => {
    await using f = await fixture();
    f.write({ "d.txt": "bye\n" });
    roundTrip(f, [makeFileChange("d.txt", "bye\n", null)], { "d.txt": null });
  });

  test("rename, unchanged and with new content, keeping the mode", async () => {
    await using f = await fixture();
    f.write({ "old.sh": ["#!/bin/sh\nexit 0\n", 0o755], "r.txt": "one\ntwo\n" });
    roundTrip(f, [makeFileChange("old.sh", "#!/bin/sh\nexit 0\n", null, { newPath: "bin/new.sh" })], {
      "old.sh": null,
      "bin/new.sh": "#!/bin/sh\nexit 0\n",
    });
    const { id } = apply(
      f,
      makeFileChange("old.sh", "#!/bin/sh\nexit 0\n", "#!/bin/sh\nexit 1\n", { newPath: "x.sh" }),
    );
    expect(modeOf(f, "x.sh")).toBe(0o755);
    expect(f.read("x.sh")).toBe("#!/bin/sh\nexit 1\n");
    rollbackChange({ repo: f.repo, db: f.db, changeId: id });
    expect(modeOf(f, "old.sh")).toBe(0o755);
  });

  test("CRLF files keep CRLF, including lines a LF patch adds", async () => {
    await using f = await fixture();
    const before = "one\r\ntwo\r\nthree\r\n";
    f.write({ "w.txt": before });
    roundTrip(f, [makeFileChange("w.txt", before, "one\r\nTWO\r\nthree\r\nfour\r\n")], {
      "w.txt": "one\r\nTWO\r\nthree\r\nfour\r\n",
    });
    // The same edit written with LF endings, as a model or a mail client would.
    const lf = makeFileChange("w.txt", "one\ntwo\nthree\n", "one\nTWO\nthree\nfour\n");
    const result = "one\r\nTWO\r\nthree\r\nfour\r\n";
    roundTrip(
      f,
      [
        {
          ...lf,
          base_sha256: makeFileChange("w.txt", before, result).base_sha256,
          new_sha256: makeFileChange("w.txt", before, result).new_sha256,
        },
      ],
      { "w.txt": result },
    );
  });

  test("files without a final newline: keep, add and remove it", async () => {
    await using f = await fixture();
    f.write({ "n.txt": "a\nb" });
    roundTrip(f, [makeFileChange("n.txt", "a\nb", "a\nB")], { "n.txt": "a\nB" });
    roundTrip(f, [makeFileChange("n.txt", "a\nb", "a\nb\n")], { "n.txt": "a\nb\n" });
    roundTrip(f, [makeFileChange("n.txt", "a\nb", "a\nb\nc")], { "n.txt": "a\nb\nc" });
    roundTrip(f, [makeFileChange("fresh.txt", null, "no newline")], { "fresh.txt": "no newline" });
  });

  test("empty files: create, fill, empty and delete", async () => {
    await using f = await fixture();
    roundTrip(f, [makeFileChange("e.txt", null, "")], { "e.txt": "" });
    f.write({ "z.txt": "" });
    roundTrip(f, [makeFileChange("z.txt", "", "now\n")], { "z.txt": "now\n" });
    f.write({ "y.txt": "gone soon\n" });
    roundTrip(f, [makeFileChange("y.txt", "gone soon\n", "")], { "y.txt": "" });
    roundTrip(f, [makeFileChange("z.txt", "", null)], { "z.txt": null });
  });

  test("executable files keep their mode; a create can make one", async () => {
    await using f = await fixture();
    f.write({ "run.sh": ["#!/bin/sh\necho a\n", 0o755], "plain.txt": ["x\n", 0o600] });
    apply(
      f,
      makeFileChange("run.sh", "#!/bin/sh\necho a\n", "#!/bin/sh\necho b\n"),
      makeFileChange("plain.txt", "x\n", "y\n"),
    );
    expect(modeOf(f, "run.sh")).toBe(0o755);
    expect(modeOf(f, "plain.txt")).toBe(0o600);
    apply(
      f,
      makeFileChange("new.sh", null, "#!/bin/sh\n", { mode: 0o755 }),
      makeFileChange("new.txt", null, "t\n"),
    );
    expect(modeOf(f, "new.sh")).toBe(0o755);
    expect(modeOf(f, "new.txt")).toBe(0o644);
  });

  test("unicode names and content", async () => {
    await using f = await fixture();
    roundTrip(
      f,
      [
        makeFileChange("données/café.txt", null, "crème brûlée\n"),
        makeFileChange("日本語/ファイル.md", null, "# 見出し\n"),
        makeFileChange("emoji 🚀 name.txt", null, "🚀\u200d🔥\n"),
        makeFileChange(" spaced .txt", null, "edge spaces\n"),
      ],
      {
        "données/café.txt": "crème brûlée\n",
        "日本語/ファイル.md": "# 見出し\n",
        " spaced .txt": "edge spaces\n",
      },
    );
  });

  test("a byte-order mark survives", async () => {
    await using f = await fixture();
    f.write({ "bom.txt": "\ufeffhello\nworld\n" });
    roundTrip(f, [makeFileChange("bom.txt", "\ufeffhello\nworld\n", "\ufeffhello\nthere\n")], {
      "bom.txt": "\ufeffhello\nthere\n",
    });
  });

  test("every modification is recorded with its change id", async () => {
    await using f = await fixture();
    f.write({ "a.txt": "a\n", "b.txt": "b\n" });
    const { id } = apply(
      f,
      makeFileChange("a.txt", "a\n", "A\n"),
      makeFileChange("b.txt", "b\n", null, { newPath: "c.txt" }),
      makeFileChange("d.txt", null, "d\n"),
    );
    expect(rows(f.db).mods).toEqual([
      { change_id: id, path: "a.txt", kind: "modify", source: "apply" },
      { change_id: id, path: "b.txt", kind: "rename", source: "apply" },
      // A rename is audited under its new path too.
      { change_id: id, path: "c.txt", kind: "rename_target", source: "apply" },
      { change_id: id, path: "d.txt", kind: "create", source: "apply" },
    ]);
  });
});

// Lines from a small alphabet so that edits overlap, repeat and shift; endings vary per line.
const line = fc.tuple(
  fc.constantFrom("a", "b", "c", "", " x", "é", "日本", "\t"),
  fc.constantFrom("\n", "\r\n"),
);
const text = fc
  .tuple(fc.array(line, { maxLength: 30 }), fc.boolean(), fc.string({ unit: "grapheme", maxLength: 5 }))
  .map(([ls, finalNewline, tail]) => ls.map(([l, eol]) => l + eol).join("") + (finalNewline ? "" : tail));

describe("properties", () => {
  test("for any two texts, makeFileChange then apply gives the second, and rollback the first", async () => {
    await using f = await fixture();
    let n = 0;
    fc.assert(
      fc.property(text, text, (before, after) => {
        fc.pre(before !== after);
        const path = `p${++n}.txt`;
        f.write({ [path]: before });
        const { id } = apply(f, makeFileChange(path, before, after));
        expect(bytes(f, path).toString("utf8")).toBe(after);
        rollbackChange({ repo: f.repo, db: f.db, changeId: id });
        expect(bytes(f, path).toString("utf8")).toBe(before);
      }),
      { numRuns: 150 },
    );
  });

  test("for any three texts stacked on one file in one call, rollback newest first gives back each", async () => {
    await using f = await fixture();
    let n = 0;
    fc.assert(
      fc.property(text, text, text, (a, b, c) => {
        fc.pre(a !== b && b !== c);
        const path = `s${++n}.txt`;
        f.write({ [path]: a });
        const rows = [makeFileChange(path, a, b), makeFileChange(path, b, c)].map((ch) =>
          f.signed({ task_id: "t", changes: [ch] }),
        );
        const out = applyChanges({ repo: f.repo, db: f.db, secret: f.secret, changes: rows });
        expect(out.map((o) => o.ok)).toEqual([true, true]);
        expect(bytes(f, path).toString("utf8")).toBe(c);
        // The second's pre-image is its own patch (derived), reversed at rollback.
        const derived = f.db
          .query<{ derived: number }, [string]>("SELECT derived FROM pre_images WHERE path = ? ORDER BY id")
          .all(path);
        expect(derived.map((r) => r.derived)).toEqual([0, 1]);
        rollbackChange({ repo: f.repo, db: f.db, changeId: rows[1]!.id });
        expect(bytes(f, path).toString("utf8")).toBe(b);
        rollbackChange({ repo: f.repo, db: f.db, changeId: rows[0]!.id });
        expect(bytes(f, path).toString("utf8")).toBe(a);
      }),
      { numRuns: 100 },
    );
  });

  test("a change applies the same alone or batched with unrelated ones", async () => {
    await using f = await fixture();
    let n = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(text, text), { minLength: 1, maxLength: 6 }), (pairs) => {
        const batch = pairs
          .filter(([a, b]) => a !== b)
          .map(([before, after]) => {
            const path = `b${++n}.txt`;
            f.write({ [path]: before });
            return {
              path,
              after,
              row: f.signed({ task_id: "t", changes: [makeFileChange(path, before, after)] }),
            };
          });
        const out = applyChanges({
          repo: f.repo,
          db: f.db,
          secret: f.secret,
          changes: batch.map((b) => b.row),
        });
        expect(out.map((o) => o.ok)).toEqual(batch.map(() => true));
        for (const b of batch) expect(f.read(b.path)).toBe(b.after);
      }),
      { numRuns: 40 },
    );
  });
});
