import { describe, expect, test } from "bun:test";
import { applyExact } from "../../lib/patch/hunks.ts";
import { applyChange, checkPath, makeFileChange, sha256Hex } from "../../lib/patch/index.ts";
import { parsePatch } from "../../lib/patch/parse.ts";
import { fixture, rows, thrown } from "./_fixture.ts";

describe("parsePatch", () => {
  test("reads git's C-quoted names, timestamps after a tab, and CRLF header lines", () => {
    const p = parsePatch(
      '--- "a/caf\\303\\251.txt"\t2026-01-01\r\n+++ "b/caf\\303\\251.txt"\r\n@@ -1 +1 @@\n-a\n+b\n',
      "café.txt",
    );
    expect([p.oldName, p.newName]).toEqual(["a/café.txt", "b/café.txt"]);
  });

  test("reads the executable bit from git's mode headers and refuses unknown modes", () => {
    const text =
      "diff --git a/x b/x\nnew file mode 100755\nindex 0000000..e69de29\n--- /dev/null\n+++ b/x\n@@ -0,0 +1 @@\n+#!/bin/sh\n";
    expect(parsePatch(text, "x").newMode).toBe(0o755);
    expect(thrown(() => parsePatch(text.replace("100755", "100600"), "x")).code).toBe("E_HUNK_MALFORMED");
    expect(
      thrown(() => parsePatch(text.replace("index 0000000..e69de29", "copy of /etc/passwd"), "x")).code,
    ).toBe("E_HUNK_MALFORMED");
  });

  test("an empty context line stripped by an editor is read back as context", () => {
    const p = parsePatch("--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n\n-b\n+B\n", "f");
    expect(applyExact("a\n\nb\n", p, "f")).toBe("a\n\nB\n");
  });

  test("end-of-file markers on both sides", () => {
    const p = parsePatch(
      "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n",
      "f",
    );
    expect(applyExact("a\nb", p, "f")).toBe("a\nc");
    expect(thrown(() => applyExact("a\nb\n", p, "f")).code).toBe("E_PATCH_MISMATCH");
  });

  test("an insertion after a last line without newline is refused, never glued onto it", () => {
    const p = parsePatch("--- a/f\n+++ b/f\n@@ -1,0 +2 @@\n+b\n", "f");
    expect(thrown(() => applyExact("a", p, "f")).code).toBe("E_PATCH_MISMATCH");
    expect(applyExact("a\n", p, "f")).toBe("a\nb\n");
  });
});

describe("makeFileChange", () => {
  test("computes hashes from the contents and refuses a change that changes nothing", () => {
    const c = makeFileChange("a.txt", "x\n", "y\n");
    expect(c).toMatchObject({
      operation: "modify",
      base_sha256: sha256Hex("x\n"),
      new_sha256: sha256Hex("y\n"),
    });
    expect(thrown(() => makeFileChange("a.txt", "x\n", "x\n")).code).toBe("E_NOOP");
    expect(thrown(() => makeFileChange("../a.txt", null, "x\n")).code).toBe("E_PATH_OUTSIDE_REPO");
  });

  test("a rename without new content carries no patch", () => {
    expect(makeFileChange("a.txt", "x\n", null, { newPath: "b.txt" })).toEqual({
      path: "a.txt",
      operation: "rename",
      new_path: "b.txt",
      base_sha256: sha256Hex("x\n"),
    });
  });
});

describe("checkPath", () => {
  test("ordinary paths pass unchanged", () => {
    for (const p of [
      "a",
      "src/a.ts",
      ".github/workflows/ci.yml",
      "gitx/.gitignore",
      "a b/c-d_e.f",
      "日本/語.md",
    ]) {
      expect(checkPath(p)).toBe(p);
    }
  });
});

test("a change id journalled by another process between check and intent is refused as in progress", async () => {
  await using f = await fixture();
  f.write({ "a.txt": "1\n" });
  const row = f.signed({ id: "cr-race", task_id: "t", changes: [makeFileChange("a.txt", "1\n", "2\n")] });
  const e = thrown(() =>
    applyChange({
      repo: f.repo,
      db: f.db,
      secret: f.secret,
      change: row,
      onStep: (s) => {
        if (s !== "planned") return;
        f.db.run(
          "INSERT INTO apply_journal (change_id, kind, state, owner, plan, created_at, updated_at) VALUES ('cr-race', 'apply', 'pending', 'elsewhere:1:1', '{\"files\":[],\"dirs\":[]}', 0, 0)",
        );
      },
    }),
  );
  expect(e.code).toBe("E_APPLY_IN_PROGRESS");
  expect(f.read("a.txt")).toBe("1\n");
  expect(rows(f.db).pre).toEqual([]);
});
