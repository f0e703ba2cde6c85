import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  applyChange,
  makeFileChange,
  sha256Hex,
  signPayload,
  validateChangeRequest,
} from "../../lib/patch/index.ts";
import type { Config } from "../../lib/schema/index.ts";
import { repositoryId } from "../../lib/store/index.ts";
import { type Fixture, fixture, limits, snapshotDb, snapshotTree, thrown } from "./_fixture.ts";

const A = "one\ntwo\nthree\n";
const sha = sha256Hex;
const modify = (path: string, before: string, after: string) => makeFileChange(path, before, after);
// Built by hand: makeFileChange itself refuses the hostile paths.
const create = (path: string, content = "hi\n") => ({
  ...makeFileChange("placeholder", null, content),
  path,
  patch: makeFileChange("placeholder", null, content).patch!.replace("b/placeholder", `b/${path}`),
});
const cr = (...changes: unknown[]) => ({ task_id: "t-1", changes });
const patchOf = (path: string, body: string) => `--- a/${path}\n+++ b/${path}\n${body}`;
const withPatch = (patch: string, base = A, after = "one\nTWO\nthree\n") => ({
  path: "a.txt",
  operation: "modify",
  patch,
  base_sha256: sha(base),
  new_sha256: sha(after),
});

type Case = {
  name: string;
  input: unknown;
  /** The code, or different codes at enqueue and at apply (the tree decides differently). */
  code: string | { validate: string; apply: string };
  only?: "validate" | "apply";
  limits?: Partial<Config["limits"]>;
  owned?: string[];
};

const cases: Case[] = [
  // schema
  { name: "not an object", input: "rm -rf /", code: "E_SCHEMA" },
  { name: "no task_id", input: { changes: [create("n.txt")] }, code: "E_SCHEMA" },
  { name: "an unknown field", input: { ...cr(create("n.txt")), exec: "sh" }, code: "E_SCHEMA" },
  { name: "no changes", input: cr(), code: "E_SCHEMA" },
  {
    name: "an id with a slash",
    input: { ...cr(create("n.txt")), id: "../x" },
    code: "E_SCHEMA",
    only: "validate",
  },
  {
    name: "modify without new_sha256",
    input: cr({ ...modify("a.txt", A, "x\n"), new_sha256: undefined }),
    code: "E_SCHEMA",
  },
  {
    name: "rename without new_path",
    input: cr({ path: "a.txt", operation: "rename", base_sha256: sha(A) }),
    code: "E_SCHEMA",
  },
  // paths
  { name: "an absolute path", input: cr(create("/etc/passwd")), code: "E_PATH_OUTSIDE_REPO" },
  { name: "a climbing path", input: cr(create("../escape.txt")), code: "E_PATH_OUTSIDE_REPO" },
  {
    name: "a path climbing from inside",
    input: cr(create("src/../../escape.txt")),
    code: "E_PATH_OUTSIDE_REPO",
  },
  { name: "a drive letter", input: cr(create("C:/Windows/evil.txt")), code: "E_PATH_OUTSIDE_REPO" },
  { name: "backslashes", input: cr(create("src\\..\\..\\evil.txt")), code: "E_PATH_INVALID" },
  { name: "a NUL byte", input: cr(create("a\u0000.txt")), code: "E_PATH_INVALID" },
  { name: "a newline", input: cr(create("a\nb.txt")), code: "E_PATH_INVALID" },
  { name: "a lone surrogate", input: cr(create("a\ud800.txt")), code: "E_PATH_INVALID" },
  { name: "a path not in NFC", input: cr(create("cafe\u0301.txt")), code: "E_PATH_INVALID" },
  { name: "a '.' component", input: cr(create("./a2.txt")), code: "E_PATH_INVALID" },
  { name: "an empty component", input: cr(create("src//b2.ts")), code: "E_PATH_INVALID" },
  { name: "an NTFS stream", input: cr(create("a.txt:hidden")), code: "E_PATH_INVALID" },
  { name: "a Windows device name", input: cr(create("src/con.txt")), code: "E_PATH_INVALID" },
  { name: ".git/", input: cr(create(".git/config")), code: "E_PATH_FORBIDDEN" },
  { name: ".GIT/ by case", input: cr(create(".GIT/hooks/pre-commit")), code: "E_PATH_FORBIDDEN" },
  { name: "a nested .git/", input: cr(create("vendor/lib/.git/config")), code: "E_PATH_FORBIDDEN" },
  { name: ".git. with a trailing dot", input: cr(create(".git./config")), code: "E_PATH_FORBIDDEN" },
  {
    name: ".git with an ignorable code point",
    input: cr(create(".g\u200cit/config")),
    code: "E_PATH_FORBIDDEN",
  },
  { name: "git's 8.3 short name", input: cr(create("GIT~1/config")), code: "E_PATH_FORBIDDEN" },
  { name: ".hyperion/", input: cr(create(".hyperion/secret")), code: "E_PATH_FORBIDDEN" },
  {
    name: "a rename into .git/",
    input: cr({ path: "a.txt", operation: "rename", new_path: ".git/a", base_sha256: sha(A) }),
    code: "E_PATH_FORBIDDEN",
  },
  {
    name: "a symlinked directory leading outside",
    input: cr(create("out/planted.txt")),
    code: "E_PATH_OUTSIDE_REPO",
  },
  {
    name: "a modify through a file symlink",
    input: cr(modify("lnfile", "secret\n", "owned\n")),
    code: "E_NOT_A_FILE",
  },
  { name: "a modify of a directory", input: cr(modify("dir", "", "x\n")), code: "E_NOT_A_FILE" },
  { name: "a create under a file", input: cr(create("a.txt/x")), code: "E_OP_MISMATCH" },
  {
    name: "one path twice",
    input: cr(modify("a.txt", A, "1\n"), modify("a.txt", A, "2\n")),
    code: "E_PATH_COLLISION",
  },
  { name: "paths equal by case", input: cr(create("N.txt"), create("n.txt")), code: "E_PATH_COLLISION" },
  { name: "a file and a directory", input: cr(create("x"), create("x/y")), code: "E_PATH_COLLISION" },
  {
    name: "a path the task does not own",
    input: cr(modify("a.txt", A, "x\n")),
    code: "E_NOT_OWNED",
    owned: ["src/"],
    only: "validate",
  },
  // operation against patch and tree
  {
    name: "a create of an existing file",
    input: cr(create("a.txt", "prepended?\n")),
    code: { validate: "E_OP_MISMATCH", apply: "E_CONFLICT" },
  },
  {
    name: "a create patch not from /dev/null",
    input: cr({ ...create("n.txt"), patch: patchOf("n.txt", "@@ -0,0 +1 @@\n+hi\n") }),
    code: "E_OP_MISMATCH",
  },
  {
    name: "a create with a base hash",
    input: cr({ ...create("n.txt"), base_sha256: sha("") }),
    code: "E_OP_MISMATCH",
  },
  {
    name: "a delete of a missing file",
    input: cr({ path: "gone.txt", operation: "delete", base_sha256: sha(A) }),
    code: { validate: "E_OP_MISMATCH", apply: "E_CONFLICT" },
  },
  {
    name: "a delete with new_sha256",
    input: cr({ path: "a.txt", operation: "delete", base_sha256: sha(A), new_sha256: sha("") }),
    code: "E_OP_MISMATCH",
  },
  {
    name: "a delete patch that keeps lines",
    input: cr({
      path: "a.txt",
      operation: "delete",
      base_sha256: sha(A),
      patch: "--- a/a.txt\n+++ /dev/null\n@@ -1,3 +0,0 @@\n-one\n-two\n",
    }),
    code: "E_HUNK_MALFORMED",
  },
  {
    name: "a delete patch that removes part",
    input: cr({
      path: "a.txt",
      operation: "delete",
      base_sha256: sha(A),
      patch: "--- a/a.txt\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-one\n",
    }),
    code: "E_OP_MISMATCH",
  },
  {
    name: "a modify patch to /dev/null",
    input: cr(withPatch("--- a/a.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-one\n")),
    code: "E_OP_MISMATCH",
  },
  {
    name: "a patch naming another file",
    input: cr(withPatch(patchOf("src/b.ts", "@@ -2 +2 @@\n-two\n+TWO\n"))),
    code: "E_OP_MISMATCH",
  },
  {
    name: "a rename to itself",
    input: cr({ path: "a.txt", operation: "rename", new_path: "a.txt", base_sha256: sha(A) }),
    code: "E_OP_MISMATCH",
  },
  {
    name: "a rename onto an existing file",
    input: cr({ path: "a.txt", operation: "rename", new_path: "src/b.ts", base_sha256: sha(A) }),
    code: { validate: "E_OP_MISMATCH", apply: "E_CONFLICT" },
  },
  {
    name: "a patch making a symlink",
    input: cr({
      ...create("ln2"),
      patch: `diff --git a/ln2 b/ln2\nnew file mode 120000\n${patchOf("ln2", "@@ -0,0 +1 @@\n+/etc/passwd\n").replace("--- a/ln2", "--- /dev/null")}`,
    }),
    code: "E_PATH_FORBIDDEN",
  },
  // patch text
  { name: "an ed script", input: cr(withPatch("2c\nTWO\n.\nw\n")), code: "E_HUNK_MALFORMED" },
  { name: "prose", input: cr(withPatch("Please change line two to upper case.")), code: "E_HUNK_MALFORMED" },
  { name: "an empty patch", input: cr(withPatch("")), code: "E_HUNK_MALFORMED" },
  { name: "headers without hunks", input: cr(withPatch(patchOf("a.txt", ""))), code: "E_HUNK_MALFORMED" },
  {
    name: "a broken hunk header",
    input: cr(withPatch(patchOf("a.txt", "@@ -x,1 +2 @@\n-two\n+TWO\n"))),
    code: "E_HUNK_MALFORMED",
  },
  {
    name: "hunk counts that lie",
    input: cr(withPatch(patchOf("a.txt", "@@ -2,5 +2,5 @@\n-two\n+TWO\n"))),
    code: "E_HUNK_MALFORMED",
  },
  {
    name: "hunks out of order",
    input: cr(withPatch(patchOf("a.txt", "@@ -3 +3 @@\n-three\n+3\n@@ -1 +1 @@\n-one\n+1\n"))),
    code: "E_HUNK_MALFORMED",
  },
  {
    name: "two files in one patch",
    input: cr(
      withPatch(
        `${patchOf("a.txt", "@@ -2 +2 @@\n-two\n+TWO\n")}${patchOf("src/b.ts", "@@ -1 +1 @@\n-x\n+y\n")}`,
      ),
    ),
    code: "E_HUNK_MALFORMED",
  },
  {
    name: "text after the hunks",
    input: cr(withPatch(patchOf("a.txt", "@@ -2 +2 @@\n-two\n+TWO\nrm -rf /\n"))),
    code: "E_HUNK_MALFORMED",
  },
  {
    name: "a misplaced end-of-file marker",
    input: cr(
      withPatch(patchOf("a.txt", "@@ -1,2 +1,2 @@\n-one\n\\ No newline at end of file\n-two\n+1\n+2\n")),
    ),
    code: "E_HUNK_MALFORMED",
  },
  {
    name: "a create without hunks",
    input: cr({ ...create("n.txt"), patch: "--- /dev/null\n+++ b/n.txt\n" }),
    code: "E_HUNK_MALFORMED",
  },
  {
    name: "a context-only hunk",
    input: cr(withPatch(patchOf("a.txt", "@@ -2 +2 @@\n two\n"))),
    code: "E_NOOP",
  },
  {
    name: "a patch that changes nothing",
    input: cr(withPatch(patchOf("a.txt", "@@ -2 +2 @@\n-two\n+two\n"), A, A)),
    code: "E_NOOP",
  },
  {
    name: "a git binary patch",
    input: cr(withPatch("diff --git a/a.txt b/a.txt\nGIT binary patch\nliteral 4\nLcmZ?d00001\n")),
    code: "E_BINARY",
  },
  {
    name: "a NUL in the patch",
    input: cr(withPatch(patchOf("a.txt", "@@ -2 +2 @@\n-two\n+T\u0000O\n"))),
    code: "E_BINARY",
  },
  {
    name: "a lone surrogate in the patch",
    input: cr(withPatch(patchOf("a.txt", "@@ -2 +2 @@\n-two\n+T\udc00O\n"))),
    code: "E_BINARY",
  },
  { name: "a patch of a binary file", input: cr(modify("bin.dat", "\u0000\u0001", "x")), code: "E_BINARY" },
  {
    name: "a patch over the size limit",
    input: cr(modify("a.txt", A, "x".repeat(5000))),
    code: "E_TOO_LARGE",
    limits: { max_patch_bytes: 1000 },
  },
  {
    name: "changes over the total limit",
    input: cr(modify("a.txt", A, "x".repeat(700)), create("n.txt", "y".repeat(700))),
    code: "E_TOO_LARGE",
    limits: { max_change_bytes: 1000 },
  },
  {
    name: "too many files",
    input: cr(create("n1"), create("n2"), create("n3")),
    code: "E_TOO_LARGE",
    limits: { max_files: 2 },
  },
  {
    name: "a file over the file limit",
    input: cr(modify("a.txt", A, "x\n")),
    code: "E_TOO_LARGE",
    limits: { max_file_bytes: 4 },
  },
  // hashes
  {
    name: "hunks that do not match their base",
    input: cr(withPatch(patchOf("a.txt", "@@ -2 +2 @@\n-deux\n+TWO\n"))),
    code: "E_PATCH_MISMATCH",
  },
  {
    name: "a hunk past the end of the file",
    input: cr(withPatch(patchOf("a.txt", "@@ -9 +9 @@\n-two\n+TWO\n"))),
    code: "E_PATCH_MISMATCH",
  },
  {
    name: "a wrong new_sha256",
    input: cr({ ...modify("a.txt", A, "one\nTWO\nthree\n"), new_sha256: sha("something else") }),
    code: "E_HASH_MISMATCH",
  },
  {
    name: "a create with a wrong new_sha256",
    input: cr({ ...create("n.txt"), new_sha256: sha("other") }),
    code: "E_HASH_MISMATCH",
  },
];

describe("hostile and malformed change requests", () => {
  let f: Fixture;
  let tree: Record<string, string>;
  let db: string[];
  beforeAll(async () => {
    f = await fixture();
    f.write({ "a.txt": A, "src/b.ts": "x\n", "bin.dat": "\u0000\u0001" });
    mkdirSync(join(f.repo, "dir"));
    mkdirSync(join(f.root, "outside"));
    writeFileSync(join(f.root, "outside/secret.txt"), "secret\n");
    symlinkSync(join(f.root, "outside"), join(f.repo, "out"));
    symlinkSync("../outside/secret.txt", join(f.repo, "lnfile"));
    tree = snapshotTree(f.root);
    db = snapshotDb(f.dbPath);
  });
  afterAll(async () => {
    await f[Symbol.asyncDispose]();
  });

  const unchanged = () => {
    expect(snapshotTree(f.root)).toEqual(tree);
    expect(snapshotDb(f.dbPath)).toEqual(db);
  };
  const codeFor = (c: Case, mode: "validate" | "apply") =>
    typeof c.code === "string" ? c.code : c.code[mode];

  for (const c of cases) {
    if (c.only !== "apply") {
      test(`enqueue refuses ${c.name} with ${codeFor(c, "validate")}`, () => {
        const e = thrown(() =>
          validateChangeRequest(c.input, {
            repo: f.repo,
            limits: { ...limits, ...c.limits },
            owned: c.owned,
          }),
        );
        expect(e.code as string).toBe(codeFor(c, "validate"));
        expect(e.message).not.toContain("\n");
        expect(e.exitCode).toBe(2);
        unchanged();
      });
    }
    if (c.only !== "validate") {
      test(`apply refuses ${c.name} with ${codeFor(c, "apply")}`, () => {
        const input = c.input as Record<string, unknown>;
        const id = `cr-${cases.indexOf(c)}`;
        const payload = JSON.stringify(typeof input === "object" ? { ...input, id } : input);
        const change = {
          id,
          payload,
          signature: signPayload(f.secret, { repository: repositoryId(f.db), id, payload }),
        };
        const e = thrown(() =>
          applyChange({
            repo: f.repo,
            db: f.db,
            secret: f.secret,
            change,
            limits: { ...limits, ...c.limits },
          }),
        );
        expect(e.code as string).toBe(codeFor(c, "apply"));
        expect(e.retryable).toBe(false);
        unchanged();
      });
    }
  }

  test("apply refuses a payload whose signature does not verify (E_SIGNATURE)", () => {
    const payload = JSON.stringify({ ...cr(modify("a.txt", A, "pwned\n")), id: "cr-sig" });
    const change = {
      id: "cr-sig",
      payload,
      signature: signPayload(f.secret, {
        repository: repositoryId(f.db),
        id: "cr-sig",
        payload: payload.replace("pwned", "owned"),
      }),
    };
    expect(thrown(() => applyChange({ repo: f.repo, db: f.db, secret: f.secret, change })).code).toBe(
      "E_SIGNATURE",
    );
    const other = {
      ...change,
      signature: signPayload(new Uint8Array(32), { repository: repositoryId(f.db), id: "cr-sig", payload }),
    };
    expect(thrown(() => applyChange({ repo: f.repo, db: f.db, secret: f.secret, change: other })).code).toBe(
      "E_SIGNATURE",
    );
    unchanged();
  });

  test("apply refuses a payload whose id is not the row's (E_SCHEMA)", () => {
    const payload = JSON.stringify({ ...cr(modify("a.txt", A, "x\n")), id: "cr-other" });
    const change = {
      id: "cr-row",
      payload,
      signature: signPayload(f.secret, { repository: repositoryId(f.db), id: "cr-row", payload }),
    };
    expect(thrown(() => applyChange({ repo: f.repo, db: f.db, secret: f.secret, change })).code).toBe(
      "E_SCHEMA",
    );
    unchanged();
  });

  test("apply refuses a stale patch it cannot place, retryably (E_BASE_CHANGED)", () => {
    const stale = modify("a.txt", "uno\ndos\ntres\n", "uno\nDOS\ntres\n");
    const payload = JSON.stringify({ ...cr(stale), id: "cr-stale" });
    const change = {
      id: "cr-stale",
      payload,
      signature: signPayload(f.secret, { repository: repositoryId(f.db), id: "cr-stale", payload }),
    };
    const e = thrown(() => applyChange({ repo: f.repo, db: f.db, secret: f.secret, change }));
    expect(e.code).toBe("E_BASE_CHANGED");
    expect(e.retryable).toBe(true);
    unchanged();
  });
});
