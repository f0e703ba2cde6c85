import { describe, expect, test } from "bun:test";
import {
  chownSync,
  closeSync,
  existsSync,
  linkSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { applyChanges, makeFileChange, recoverApplies, sparePool } from "../../lib/patch/index.ts";
import { OWNER } from "../../lib/patch/journal.ts";
import { Spares } from "../../lib/patch/spares.ts";
import { fixture, limits } from "./_fixture.ts";

const modifyAll = (f: Awaited<ReturnType<typeof fixture>>, paths: string[], reuse = true) =>
  applyChanges({
    repo: f.repo,
    db: f.db,
    secret: f.secret,
    limits: { ...limits, reuse_inodes: reuse },
    changes: paths.map((p) =>
      f.signed({ task_id: "t", changes: [makeFileChange(p, `${p}\n`, `new ${p}\n`)] }),
    ),
  });

const ino = (f: { repo: string }, p: string) => statSync(join(f.repo, p)).ino;

describe("spare inodes", () => {
  test("a long-lived pool carries a replaced file's inode into the next call, and drop leaves none", async () => {
    await using f = await fixture();
    f.write({ "a.txt": "a.txt\n", "b.txt": "b.txt\n" });
    const pool = sparePool(f.repo, limits);
    const one = (p: string) =>
      applyChanges({
        repo: f.repo,
        db: f.db,
        secret: f.secret,
        spares: pool,
        changes: [f.signed({ task_id: "t", changes: [makeFileChange(p, `${p}\n`, `new ${p}\n`)] })],
      });
    const a = ino(f, "a.txt");
    expect(one("a.txt")[0]!.ok).toBe(true);
    expect(readdirSync(join(f.repo, ".hyperion/spares"))).toHaveLength(1);
    expect(one("b.txt")[0]!.ok).toBe(true);
    expect(ino(f, "b.txt")).toBe(a);
    expect(f.read("b.txt")).toBe("new b.txt\n");
    pool.drop();
    expect(readdirSync(join(f.repo, ".hyperion/spares"))).toEqual([]);
  });

  test("a replaced file's inode becomes a later file's, across directories, and none is left", async () => {
    await using f = await fixture();
    f.write({ "a.txt": "a.txt\n", "d/b.txt": "d/b.txt\n", "e/c.txt": "e/c.txt\n" });
    const before = ["a.txt", "d/b.txt"].map((p) => ino(f, p));
    expect(modifyAll(f, ["a.txt", "d/b.txt", "e/c.txt"]).every((o) => o.ok)).toBe(true);
    expect([ino(f, "d/b.txt"), ino(f, "e/c.txt")]).toEqual(before);
    expect(["a.txt", "d/b.txt", "e/c.txt"].map((p) => f.read(p))).toEqual([
      "new a.txt\n",
      "new d/b.txt\n",
      "new e/c.txt\n",
    ]);
    expect(readdirSync(join(f.repo, ".hyperion/spares"))).toEqual([]);
  });

  test("a file with another hard link is never rewritten: the other name keeps its content", async () => {
    await using f = await fixture();
    f.write({ "a.txt": "a.txt\n", "b.txt": "b.txt\n" });
    linkSync(join(f.repo, "a.txt"), join(f.root, "outside.txt"));
    expect(modifyAll(f, ["a.txt", "b.txt"]).every((o) => o.ok)).toBe(true);
    expect(readFileSync(join(f.root, "outside.txt"), "utf8")).toBe("a.txt\n");
    expect(f.read("b.txt")).toBe("new b.txt\n");
    expect(ino(f, "b.txt")).not.toBe(statSync(join(f.root, "outside.txt")).ino);
  });

  test.if(process.geteuid?.() === 0)(
    "a file owned by another user is not reused: new files are ours",
    async () => {
      await using f = await fixture();
      f.write({ "a.txt": "a.txt\n", "b.txt": "b.txt\n" });
      chownSync(join(f.repo, "a.txt"), 12345, 12345);
      expect(modifyAll(f, ["a.txt", "b.txt"]).every((o) => o.ok)).toBe(true);
      // Reused, b.txt would be owned by 12345 (an inode number can come back once freed, so not that).
      expect(statSync(join(f.repo, "b.txt")).uid).toBe(0);
      expect(f.read("b.txt")).toBe("new b.txt\n");
    },
  );

  test("a symbolic link kept as a spare is removed, never written through", async () => {
    await using f = await fixture();
    writeFileSync(join(f.root, "target.txt"), "precious\n");
    symlinkSync(join(f.root, "target.txt"), join(f.repo, "link"));
    const spares = new Spares(f.repo, "test:1:1");
    // A hard link to the symlink itself (link(2) does not follow it), as a replaced file would be.
    spares.keepReplaced(join(f.repo, "link"));
    expect(readdirSync(join(f.repo, ".hyperion/spares"))).toHaveLength(1);
    expect(spares.writeTemp(join(f.repo, "tmp"), new TextEncoder().encode("pwned\n"), 0o644)).toBe(false);
    expect(readFileSync(join(f.root, "target.txt"), "utf8")).toBe("precious\n");
    expect(readdirSync(join(f.repo, ".hyperion/spares"))).toEqual([]);
    // A deleted symlink is unlinked, not kept.
    spares.keepDeleted(join(f.repo, "link"));
    expect(existsSync(join(f.repo, "link"))).toBe(false);
    expect(readdirSync(join(f.repo, ".hyperion/spares"))).toEqual([]);
    expect(readFileSync(join(f.root, "target.txt"), "utf8")).toBe("precious\n");
  });

  test("the trade: a reader holding a replaced file open sees its inode rewritten, unless reuse is off", async () => {
    for (const reuse of [true, false]) {
      await using f = await fixture();
      f.write({ "a.txt": "a.txt\n", "b.txt": "b.txt\n" });
      const fd = openSync(join(f.repo, "a.txt"), "r");
      try {
        expect(modifyAll(f, ["a.txt", "b.txt"], reuse).every((o) => o.ok)).toBe(true);
        const buf = Buffer.alloc(64);
        const held = buf.subarray(0, readSync(fd, buf, 0, 64, 0)).toString();
        expect({ reuse, held }).toEqual({ reuse, held: reuse ? "new b.txt\n" : "a.txt\n" });
        expect(existsSync(join(f.repo, ".hyperion/spares"))).toBe(reuse);
      } finally {
        closeSync(fd);
      }
      expect([f.read("a.txt"), f.read("b.txt")]).toEqual(["new a.txt\n", "new b.txt\n"]);
    }
  });

  test("a directory found where a deleted file was is never moved: the delete fails as before", async () => {
    await using f = await fixture();
    f.write({ "d/inside.txt": "kept\n" });
    const spares = new Spares(f.repo, OWNER);
    expect(() => spares.keepDeleted(join(f.repo, "d"))).toThrow();
    expect(f.read("d/inside.txt")).toBe("kept\n");
    expect(
      existsSync(join(f.repo, ".hyperion/spares")) ? readdirSync(join(f.repo, ".hyperion/spares")) : [],
    ).toEqual([]);
  });

  test("without a place for spares (.hyperion is a file) changes apply as they would without reuse", async () => {
    await using f = await fixture();
    rmdirSync(join(f.repo, ".hyperion"));
    writeFileSync(join(f.repo, ".hyperion"), "not a directory\n");
    f.write({ "a.txt": "a.txt\n", "b.txt": "b.txt\n", "c.txt": "c.txt\n" });
    const out = applyChanges({
      repo: f.repo,
      db: f.db,
      secret: f.secret,
      changes: [
        f.signed({ task_id: "t", changes: [makeFileChange("a.txt", "a.txt\n", "new a.txt\n")] }),
        f.signed({ task_id: "t", changes: [makeFileChange("b.txt", "b.txt\n", null)] }),
        f.signed({ task_id: "t", changes: [makeFileChange("c.txt", "c.txt\n", "new c.txt\n")] }),
      ],
    });
    expect(out.map((o) => o.ok)).toEqual([true, true, true]);
    expect([f.read("a.txt"), existsSync(join(f.repo, "b.txt")), f.read("c.txt")]).toEqual([
      "new a.txt\n",
      false,
      "new c.txt\n",
    ]);
    expect(readFileSync(join(f.repo, ".hyperion"), "utf8")).toBe("not a directory\n");
  });

  test("recovery removes the spares of a process that is gone and leaves a live one's", async () => {
    await using f = await fixture();
    f.write({ "a.txt": "a\n", "b.txt": "b\n" });
    // pid 2^22 + 1 is above Linux's pid_max: no process has it.
    const dead = new Spares(f.repo, `${hostname()}:4194305:1`);
    const live = new Spares(f.repo, OWNER);
    dead.keepDeleted(join(f.repo, "a.txt"));
    live.keepDeleted(join(f.repo, "b.txt"));
    recoverApplies({ repo: f.repo, db: f.db });
    expect(readdirSync(join(f.repo, ".hyperion/spares"))).toEqual([`${OWNER}:0:0`]);
  });
});
