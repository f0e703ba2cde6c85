import { describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createPatch, createTwoFilesPatch, formatPatch, structuredPatch } from "diff";
import { applyChange, sha256Hex, validateChangeRequest } from "../../lib/patch/index.ts";
import type { FileChange } from "../../lib/schema/index.ts";
import { fixture, limits, thrown } from "./_fixture.ts";

/** Runs git in the fixture's repository and returns its stdout. */
const git = (cwd: string, ...args: string[]): string => {
  const r = Bun.spawnSync(["git", "-c", "core.quotePath=true", ...args], {
    cwd,
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", HOME: cwd },
  });
  if (r.exitCode !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr.toString()}`);
  return r.stdout.toString();
};

/** A git repository holding `files`, committed, so `git diff` can describe a change to it. */
const gitFixture = async (files: Record<string, string>) => {
  const f = await fixture();
  f.write(files);
  git(f.repo, "init", "-q");
  git(f.repo, "add", "-A", ".");
  git(f.repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base");
  return f;
};

/** Stages everything and returns git's own patch of the working tree against HEAD. */
const gitDiff = (repo: string, ...opts: string[]): string => {
  git(repo, "add", "-A", ".");
  return git(repo, "diff", "--cached", ...opts);
};

const sha = (s: string) => sha256Hex(s);

describe("git's patch dialect", () => {
  test("a pure rename (similarity index 100%, no ---/+++) validates and applies", async () => {
    await using f = await gitFixture({ "src/old.ts": "same\n" });
    mkdirSync(join(f.repo, "lib"));
    git(f.repo, "mv", "src/old.ts", "lib/new.ts");
    const patch = gitDiff(f.repo, "-M");
    expect(patch).toContain("similarity index 100%");
    expect(patch).not.toContain("--- ");
    git(f.repo, "reset", "-q", "--hard");
    const change: FileChange = {
      path: "src/old.ts",
      operation: "rename",
      new_path: "lib/new.ts",
      patch,
      base_sha256: sha("same\n"),
      new_sha256: sha("same\n"),
    };
    const cr = { task_id: "t", changes: [change] };
    validateChangeRequest(cr, { repo: f.repo, limits });
    applyChange({ repo: f.repo, db: f.db, secret: f.secret, change: f.signed(cr) });
    expect(f.read("lib/new.ts")).toBe("same\n");
    expect(existsSync(join(f.repo, "src/old.ts"))).toBe(false);
  });

  test("index lines, a missing newline at end of file, and a mode change without hunks", async () => {
    await using f = await gitFixture({ "a.sh": "echo one\necho two", "b.txt": "x\n" });
    writeFileSync(join(f.repo, "a.sh"), "echo one\necho 2");
    const modify = gitDiff(f.repo);
    expect(modify).toMatch(/^index [0-9a-f]+\.\.[0-9a-f]+ 100644$/m);
    expect(modify).toContain("\\ No newline at end of file");
    git(f.repo, "reset", "-q", "--hard");
    chmodSync(join(f.repo, "a.sh"), 0o755);
    const chmod = gitDiff(f.repo);
    expect(chmod).toContain("new mode 100755");
    git(f.repo, "reset", "-q", "--hard");
    chmodSync(join(f.repo, "a.sh"), 0o644);
    const changes: FileChange[] = [
      {
        path: "a.sh",
        operation: "modify",
        patch: modify,
        base_sha256: sha("echo one\necho two"),
        new_sha256: sha("echo one\necho 2"),
      },
    ];
    applyChange({ repo: f.repo, db: f.db, secret: f.secret, change: f.signed({ task_id: "t", changes }) });
    expect(f.read("a.sh")).toBe("echo one\necho 2");
    // The mode-only patch (old mode/new mode, no hunks) makes the file executable, content as it is.
    const mode: FileChange[] = [
      {
        path: "a.sh",
        operation: "modify",
        patch: chmod.replace(/^index .*\n/m, ""),
        base_sha256: sha("echo one\necho 2"),
        new_sha256: sha("echo one\necho 2"),
      },
    ];
    validateChangeRequest({ task_id: "t", changes: mode }, { repo: f.repo, limits });
    applyChange({
      repo: f.repo,
      db: f.db,
      secret: f.secret,
      change: f.signed({ task_id: "t", changes: mode }),
    });
    expect(statSync(join(f.repo, "a.sh")).mode & 0o777).toBe(0o755);
  });

  test("a copy (copy from/copy to, no hunks) creates the new file from its source", async () => {
    await using f = await gitFixture({ "src/a.ts": "shared\n" });
    copyFileSync(join(f.repo, "src/a.ts"), join(f.repo, "src/b.ts"));
    const patch = gitDiff(f.repo, "-C", "--find-copies-harder");
    expect(patch).toContain("copy from src/a.ts");
    git(f.repo, "reset", "-q", "--hard");
    const cr = {
      task_id: "t",
      changes: [{ path: "src/b.ts", operation: "create" as const, patch, new_sha256: sha("shared\n") }],
    };
    validateChangeRequest(cr, { repo: f.repo, limits });
    applyChange({ repo: f.repo, db: f.db, secret: f.secret, change: f.signed(cr) });
    expect(f.read("src/b.ts")).toBe("shared\n");
  });

  test("a copy with changes (copy from/to, then hunks against the source) creates the edited copy", async () => {
    const source = "one\ntwo\nthree\nfour\nfive\nsix\n";
    const copy = "one\ntwo\nTHREE\nfour\nfive\nsix\n";
    await using f = await gitFixture({ "src/a.ts": source });
    writeFileSync(join(f.repo, "src/b.ts"), copy);
    const patch = gitDiff(f.repo, "-C", "--find-copies-harder");
    expect(patch).toMatch(/^similarity index [1-9]\d%$/m);
    expect(patch).toContain("copy from src/a.ts");
    expect(patch).toContain("--- a/src/a.ts");
    git(f.repo, "reset", "-q", "--hard");
    const cr = {
      task_id: "t",
      changes: [{ path: "src/b.ts", operation: "create" as const, patch, new_sha256: sha(copy) }],
    };
    validateChangeRequest(cr, { repo: f.repo, limits });
    applyChange({ repo: f.repo, db: f.db, secret: f.secret, change: f.signed(cr) });
    expect([f.read("src/a.ts"), f.read("src/b.ts")]).toEqual([source, copy]);
  });

  test("an empty file's creation (new file mode, no ---/+++) applies", async () => {
    await using f = await gitFixture({ "a.txt": "a\n" });
    writeFileSync(join(f.repo, "empty.txt"), "");
    const patch = gitDiff(f.repo);
    expect(patch).not.toContain("--- ");
    git(f.repo, "reset", "-q", "--hard");
    const cr = {
      task_id: "t",
      changes: [{ path: "empty.txt", operation: "create" as const, patch, new_sha256: sha("") }],
    };
    applyChange({ repo: f.repo, db: f.db, secret: f.secret, change: f.signed(cr) });
    expect(f.read("empty.txt")).toBe("");
  });
});

describe("jsdiff's patch dialect", () => {
  test("createPatch, createTwoFilesPatch and formatPatch(structuredPatch) output apply, creates and deletes too", async () => {
    await using f = await fixture();
    f.write({ "a.txt": "one\ntwo\n", "b.txt": "bee\n", "gone.txt": "bye\n" });
    const changes: FileChange[] = [
      {
        path: "a.txt",
        operation: "modify",
        patch: createPatch("a.txt", "one\ntwo\n", "one\nTWO\n"),
        base_sha256: sha("one\ntwo\n"),
        new_sha256: sha("one\nTWO\n"),
      },
      {
        path: "b.txt",
        operation: "modify",
        patch: createTwoFilesPatch("a/b.txt", "b/b.txt", "bee\n", "BEE"),
        base_sha256: sha("bee\n"),
        new_sha256: sha("BEE"),
      },
      {
        path: "new.txt",
        operation: "create",
        patch: formatPatch(structuredPatch("new.txt", "new.txt", "", "fresh\n")),
        new_sha256: sha("fresh\n"),
      },
      {
        path: "gone.txt",
        operation: "delete",
        patch: createPatch("gone.txt", "bye\n", ""),
        base_sha256: sha("bye\n"),
      },
    ];
    expect(changes[0]!.patch!.startsWith("Index: a.txt\n====")).toBe(true);
    const cr = { task_id: "t", changes };
    validateChangeRequest(cr, { repo: f.repo, limits });
    applyChange({ repo: f.repo, db: f.db, secret: f.secret, change: f.signed(cr) });
    expect([f.read("a.txt"), f.read("b.txt"), f.read("new.txt")]).toEqual(["one\nTWO\n", "BEE", "fresh\n"]);
    expect(existsSync(join(f.repo, "gone.txt"))).toBe(false);
  });

  test("anything else is refused with a message naming the dialects expected", async () => {
    await using f = await fixture();
    f.write({ "a.txt": "one\n" });
    for (const patch of ["1c1\n< one\n---\n> uno\n", "*** a.txt\n--- a.txt\n***************\n"]) {
      const e = thrown(() =>
        validateChangeRequest(
          {
            task_id: "t",
            changes: [
              {
                path: "a.txt",
                operation: "modify",
                patch,
                base_sha256: sha("one\n"),
                new_sha256: sha("uno\n"),
              },
            ],
          },
          { repo: f.repo, limits },
        ),
      );
      expect(e.code).toBe("E_HUNK_MALFORMED");
      expect(e.hint).toContain("git's dialect");
      expect(e.hint).toContain("jsdiff's createPatch");
    }
  });
});
