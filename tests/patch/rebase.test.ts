import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { applyChange, makeFileChange, rollbackChange, sha256Hex } from "../../lib/patch/index.ts";
import { merge3 } from "../../lib/patch/merge3.ts";
import { parsePatch } from "../../lib/patch/parse.ts";
import { alreadyStands } from "../../lib/patch/places.ts";
import { type Fixture, fixture, snapshotTree, thrown } from "./_fixture.ts";

const lines = (n: number, tag = "") => Array.from({ length: n }, (_, i) => `line ${i + 1}${tag}\n`).join("");
const edit = (text: string, at: number, to: string) => {
  const ls = text.split("\n");
  ls[at - 1] = to;
  return ls.join("\n");
};

const applyRow = (f: Fixture, ...changes: ReturnType<typeof makeFileChange>[]) => {
  const row = f.signed({ task_id: "t-rebase", changes });
  return { id: row.id, result: applyChange({ repo: f.repo, db: f.db, secret: f.secret, change: row }) };
};

describe("rebase", () => {
  test("a patch made before an unrelated edit to the same file is placed by offset", async () => {
    await using f = await fixture();
    const base = lines(40);
    f.write({ "s.ts": base });
    // The agent's change: line 30. Meanwhile someone inserts three lines at the top.
    const change = makeFileChange("s.ts", base, edit(base, 30, "line 30 changed"));
    const moved = `// header\n// header\n// header\n${base}`;
    f.write({ "s.ts": moved });
    const { result } = applyRow(f, change);
    expect(result.rebased).toBe(true);
    expect(result.rebases).toEqual({ "s.ts": "offset" });
    expect(f.read("s.ts")).toBe(`// header\n// header\n// header\n${edit(base, 30, "line 30 changed")}`);
  });

  test("a context line edited next to the hunk is tolerated by fuzz", async () => {
    await using f = await fixture();
    const base = lines(20);
    f.write({ "s.ts": base });
    const change = makeFileChange("s.ts", base, edit(base, 10, "line 10 changed"));
    f.write({ "s.ts": edit(base, 8, "line 8 edited meanwhile") });
    const { result } = applyRow(f, change);
    expect(result.rebases).toEqual({ "s.ts": "fuzz" });
    expect(f.read("s.ts")).toBe(edit(edit(base, 8, "line 8 edited meanwhile"), 10, "line 10 changed"));
  });

  test("when relocation fails, a three-way merge from the recorded base combines both edits", async () => {
    await using f = await fixture();
    const base = lines(12);
    f.write({ "s.ts": base });
    // An applied change records `base` as its pre-image; the stale patch was made against `base` too.
    const theirs = makeFileChange("s.ts", base, edit(edit(base, 6, "six"), 8, "eight"));
    const ours = edit(edit(base, 2, "two"), 11, "eleven");
    applyRow(f, makeFileChange("s.ts", base, ours));
    // Rewriting context lines (not next to the edit) defeats offset and fuzz; the recorded base still merges.
    const rewritten = ours.replace("line 3\n", "LINE 3\n").replace("line 4\n", "LINE 4\n");
    applyRow(f, makeFileChange("s.ts", ours, rewritten));
    // The recorded base is stored compressed; the merge reads it back through the codec.
    expect(f.db.query("SELECT DISTINCT content_codec AS c FROM pre_images").all()).toEqual([{ c: "zstd" }]);
    const { result } = applyRow(f, theirs);
    expect(result.rebases).toEqual({ "s.ts": "merge3" });
    expect(f.read("s.ts")).toBe(
      "line 1\ntwo\nLINE 3\nLINE 4\nline 5\nsix\nline 7\neight\nline 9\nline 10\neleven\nline 12\n",
    );
  });

  test("overlapping edits are a permanent E_CONFLICT naming the conflicting hunk; nothing changes", async () => {
    await using f = await fixture();
    const base = lines(10);
    f.write({ "s.ts": base });
    const stale = makeFileChange("s.ts", base, edit(base, 5, "theirs"));
    applyRow(f, makeFileChange("s.ts", base, edit(base, 5, "ours")));
    const before = snapshotTree(f.repo);
    const e = thrown(() => applyRow(f, stale));
    expect(e.code).toBe("E_CONFLICT");
    expect(e.retryable).toBe(false);
    expect(e.details?.conflicts).toEqual([
      { baseLine: 5, base: ["line 5\n"], ours: ["ours\n"], theirs: ["theirs\n"] },
    ]);
    expect(snapshotTree(f.repo)).toEqual(before);
  });

  test("with no recorded base and no place for the hunks, E_BASE_CHANGED is retryable and shows the mismatch", async () => {
    await using f = await fixture();
    const base = lines(5);
    f.write({ "s.ts": "entirely\ndifferent\n" });
    const e = thrown(() => applyRow(f, makeFileChange("s.ts", base, edit(base, 3, "three"))));
    expect(e.code).toBe("E_BASE_CHANGED");
    expect(e.retryable).toBe(true);
    expect(e.details?.first_mismatch).toMatchObject({ hunk: 1, expected: "line 1\n" });
  });

  test("a rebased change rolls back to what the file held before it", async () => {
    await using f = await fixture();
    const base = lines(30);
    f.write({ "s.ts": base });
    const change = makeFileChange("s.ts", base, edit(base, 20, "changed"));
    const moved = `new first line\n${base}`;
    f.write({ "s.ts": moved });
    const { id } = applyRow(f, change);
    rollbackChange({ repo: f.repo, db: f.db, changeId: id });
    expect(f.read("s.ts")).toBe(moved);
  });

  test("a delete of a file changed since is a conflict, not a silent loss", async () => {
    await using f = await fixture();
    f.write({ "s.ts": "v1\n" });
    const del = makeFileChange("s.ts", "v1\n", null);
    f.write({ "s.ts": "v2\n" });
    expect(thrown(() => applyRow(f, del)).code).toBe("E_CONFLICT");
    expect(f.read("s.ts")).toBe("v2\n");
  });

  test("a base recorded with the wrong bytes is not trusted for a merge", async () => {
    await using f = await fixture();
    const base = lines(6);
    f.write({ "s.ts": base });
    applyRow(f, makeFileChange("s.ts", base, edit(base, 1, "one")));
    // A pre-image row edited on disk: it no longer hashes to what it claims.
    f.db.run("UPDATE pre_images SET content = ? WHERE sha256 = ?", [
      Buffer.from("forged\n"),
      sha256Hex(base),
    ]);
    f.write({ "s.ts": "unrelated\ncontent\n" });
    expect(thrown(() => applyRow(f, makeFileChange("s.ts", base, edit(base, 4, "four")))).code).toBe(
      "E_BASE_CHANGED",
    );
  });
});

describe("merge3", () => {
  test("edits far apart both land; the same edit on both sides lands once", () => {
    expect(merge3("a\nb\nc\nd\ne\n", "A\nb\nc\nd\ne\n", "a\nb\nc\nd\nE\n")).toEqual({
      ok: true,
      content: "A\nb\nc\nd\nE\n",
    });
    expect(merge3("a\nb\nc\n", "a\nB\nc\n", "a\nB\nc\n")).toEqual({ ok: true, content: "a\nB\nc\n" });
  });

  test("adjacent edits conflict rather than being guessed at", () => {
    const r = merge3("a\nb\nc\n", "A\nb\nc\n", "a\nB\nc\n");
    expect(r.ok).toBe(false);
  });

  const textArb = fc
    .array(fc.constantFrom("a\n", "b\n", "c\n", "d\n"), { maxLength: 12 })
    .map((l) => l.join(""));
  test("property: merging with an unchanged side gives the other side", () => {
    fc.assert(
      fc.property(textArb, textArb, (base, other) => {
        expect(merge3(base, base, other)).toEqual({ ok: true, content: other });
        expect(merge3(base, other, base)).toEqual({ ok: true, content: other });
      }),
      { numRuns: 300 },
    );
  });
});

describe("rebase never guesses", () => {
  test("the same append patch under two ids applies once, also after an unrelated edit", async () => {
    await using f = await fixture();
    const base = lines(8);
    f.write({ "log.txt": base });
    const append = makeFileChange("log.txt", base, `${base}appended\n`);
    applyRow(f, append);
    const twice = thrown(() => applyRow(f, append));
    expect([twice.code, twice.retryable]).toEqual(["E_ALREADY_APPLIED", false]);
    expect(f.read("log.txt")).toBe(`${base}appended\n`);
    // With the file edited elsewhere since, the hashes no longer say so: the hunk's lines do.
    f.write({ "log.txt": `${edit(base, 1, "line 1 edited")}appended\n` });
    expect(thrown(() => applyRow(f, append)).code).toBe("E_ALREADY_APPLIED");
    expect(f.read("log.txt")).toBe(`${edit(base, 1, "line 1 edited")}appended\n`);
  });

  // Four identical blocks; the patch edits the third. Its hunk (with context) fits at the second
  // block too, and once lines are inserted above, that copy sits where the hunk was.
  const block = "{\nx\ny\nz\n}\n";
  const base = block.repeat(4);
  const third = `${block.repeat(2)}{\nx\nY\nz\n}\n${block}`;
  const inserted = `new 1\nnew 2\nnew 3\nnew 4\nnew 5\n`;

  test("a hunk that fits at several places is E_AMBIGUOUS without a recorded base, and nothing is written", async () => {
    await using f = await fixture();
    f.write({ "b.txt": `${inserted}${base}` });
    const e = thrown(() => applyRow(f, makeFileChange("b.txt", base, third)));
    expect([e.code, e.retryable]).toEqual(["E_AMBIGUOUS", false]);
    expect(f.read("b.txt")).toBe(`${inserted}${base}`);
  });

  test("with the base on record it goes to the three-way merge, which edits the right copy", async () => {
    await using f = await fixture();
    f.write({ "b.txt": base });
    applyRow(f, makeFileChange("b.txt", base, `${inserted}${base}`));
    const { result } = applyRow(f, makeFileChange("b.txt", base, third));
    expect(result.rebases).toEqual({ "b.txt": "merge3" });
    expect(f.read("b.txt")).toBe(`${inserted}${third}`);
  });
});

describe("alreadyStands", () => {
  test("needs context: added lines alone (diff -U0) could stand anywhere", () => {
    const base = lines(10);
    const cur = `${base}}\n`;
    const withContext = parsePatch(makeFileChange("s.ts", base, edit(base, 5, "}")).patch!, "s.ts");
    const noContext = parsePatch(
      makeFileChange("s.ts", base, edit(base, 5, "}"), { context: 0 }).patch!,
      "s.ts",
    );
    expect(alreadyStands(edit(base, 5, "}"), withContext)).toBe(true);
    expect(alreadyStands(cur, withContext)).toBe(false);
    expect(alreadyStands(edit(base, 5, "}"), noContext)).toBe(false);
  });
});
