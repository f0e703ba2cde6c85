import { describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeFileChange, sha256Hex } from "../../lib/patch/index.ts";
import { createApplier, watchTree } from "../../lib/runtime/index.ts";
import { verdict } from "../../lib/runtime/watch.ts";
import { watchSql } from "../../lib/store/runtime-sql.ts";
import { faultRepo } from "../reliability/_faults-repo.ts";

/** Polls until `check` holds, with a deadline: fs.watch events arrive asynchronously. */
const eventually = async (check: () => boolean, what: string) => {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await Bun.sleep(10);
  }
};

/**
 * A repository in a temp dir holding `files` (directories made as needed), its queue, an applier
 * and the watcher on it; `external` lists the edits recorded as outside ones, oldest first.
 * `stop()` closes the watcher (judging what is pending) and the applier.
 */
const watched = async (files: Record<string, string>, dirs: string[] = []) => {
  const f = await faultRepo({ files, dirs });
  const { repo, queue } = f;
  const applier = createApplier({ repo: f.root, db: f.db, worker: "w", validate: false, commit: false });
  const watcher = watchTree(repo.loc.repo, repo.db, queue);
  const external = repo.db.query<{ path: string; kind: string }, []>(
    "SELECT path, kind FROM file_modifications WHERE source = 'external' ORDER BY id",
  );
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    watcher.close();
    applier.close();
  };
  return {
    root: f.root,
    repo,
    queue,
    applier,
    external,
    stop,
    async [Symbol.asyncDispose]() {
      stop();
      await f[Symbol.asyncDispose]();
    },
  };
};

describe("watchTree", () => {
  test("records an external edit and marks the queued change on that path for rebase", async () => {
    await using f = await watched({ "a.txt": "one\n", "b.txt": "one\n" }, [".git"]);
    f.queue.enqueue([{ id: "cr-a", task_id: "t", changes: [makeFileChange("a.txt", "one\n", "two\n")] }]);
    writeFileSync(join(f.root, "a.txt"), "edited by hand\n");
    writeFileSync(join(f.root, ".git/HEAD"), "ignored\n");
    const external = f.repo.db.query<{ path: string; kind: string; change_id: string | null }, []>(
      "SELECT path, kind, change_id FROM file_modifications WHERE source = 'external'",
    );
    await eventually(() => external.all().some((r) => r.path === "a.txt"), "a.txt recorded");
    expect(external.all().find((r) => r.path === "a.txt")).toEqual({
      path: "a.txt",
      kind: "modified",
      change_id: null,
    });
    expect(f.queue.get("cr-a")?.needs_rebase).toBe(true);

    writeFileSync(join(f.root, "b.txt"), "also by hand\n");
    await eventually(() => external.all().some((r) => r.path === "b.txt"), "b.txt recorded");
    // Nothing under .git/ or .hyperion/ is ever recorded.
    expect(external.all().filter((r) => r.path.startsWith(".git") || r.path.startsWith(".hyperion"))).toEqual(
      [],
    );
  });

  test("an outside edit marks for rebase the changes queued under any spelling of that file", async () => {
    await using f = await watched({ "a.txt": "one\n" }, [".git"]);
    // Spelled as a case-insensitive checkout would take it; the disk here spells it a.txt.
    f.queue.enqueue([{ id: "cr-A", task_id: "t", changes: [makeFileChange("A.TXT", "one\n", "two\n")] }]);
    writeFileSync(join(f.root, "a.txt"), "edited by hand\n");
    await eventually(() => f.queue.get("cr-A")?.needs_rebase === true, "cr-A marked for rebase");
  });

  test("Hyperion's own write is its own under any spelling of that file", async () => {
    await using f = await watched({ "Docs/Read Me.md": "one\n" });
    f.queue.enqueue([
      { id: "cr-1", task_id: "t", changes: [makeFileChange("Docs/Read Me.md", "one\n", "two\n")] },
    ]);
    expect((await f.applier.process(8)).map((o) => o.status)).toEqual(["applied"]);
    f.stop();
    // A case-insensitive checkout may report the file as the disk spells it, not as the change did.
    const facts = watchSql(f.repo.db).undecided([
      ["docs/read me.md", sha256Hex("two\n")],
      ["DOCS/READ ME.MD", sha256Hex("edited\n")],
    ]);
    expect(facts.has("docs/read me.md")).toBe(false);
    expect(facts.get("DOCS/READ ME.MD")?.own.map((w) => w.after)).toEqual([sha256Hex("two\n")]);
  });

  test("never records Hyperion's own writes, and never drops an outside edit right after one", async () => {
    await using f = await watched({
      "a.txt": "one\n",
      "old.txt": "moved\n",
      "probe.txt": "one\n",
      "gone.txt": "bye\n",
      "never.txt": "mine\n",
    });
    const { queue, applier, external } = f;
    queue.enqueue([
      { id: "cr-a", task_id: "t", changes: [makeFileChange("a.txt", "one\n", "two\n")] },
      {
        id: "cr-mv",
        task_id: "t",
        changes: [makeFileChange("old.txt", "moved\n", "moved\n", { newPath: "sub/new.txt" })],
      },
      { id: "cr-rm", task_id: "t", changes: [makeFileChange("gone.txt", "bye\n", null)] },
      { id: "cr-new", task_id: "t", changes: [makeFileChange("made/new.txt", null, "hi\n")] },
    ]);
    expect((await applier.process(8)).map((o) => o.status)).toEqual([
      "applied",
      "applied",
      "applied",
      "applied",
    ]);
    // Hyperion's writes are judged before this probe's edit, which comes after them.
    writeFileSync(join(f.root, "probe.txt"), "two\n");
    await eventually(() => external.all().some((r) => r.path === "probe.txt"), "probe recorded");
    expect(external.all()).toEqual([{ path: "probe.txt", kind: "modified" }]);
    // A file Hyperion never wrote, deleted from outside: no write of Hyperion's left it absent.
    rmSync(join(f.root, "never.txt"));
    await eventually(() => external.all().some((r) => r.path === "never.txt"), "removal recorded");
    expect(external.all().at(-1)).toEqual({ path: "never.txt", kind: "deleted" });

    // An outside edit at once after Hyperion's apply of that very path is recorded.
    queue.enqueue([{ id: "cr-a2", task_id: "t", changes: [makeFileChange("a.txt", "two\n", "three\n")] }]);
    expect((await applier.process(8)).map((o) => o.status)).toEqual(["applied"]);
    writeFileSync(join(f.root, "a.txt"), "three\nand by hand\n");
    await eventually(() => external.all().some((r) => r.path === "a.txt"), "a.txt recorded");
    expect(external.all().filter((r) => r.path === "a.txt")).toEqual([{ path: "a.txt", kind: "modified" }]);
    // While a change is leased on the path, a state that is no write of Hyperion's is recorded
    // at once, not held back until the lease ends.
    queue.enqueue([{ id: "cr-a3", task_id: "t", changes: [makeFileChange("a.txt", "three\n", "four\n")] }]);
    const leased = queue.lease("test:1:w");
    expect(leased?.id).toBe("cr-a3");
    writeFileSync(join(f.root, "a.txt"), "edited while leased\n");
    await eventually(() => external.all().filter((r) => r.path === "a.txt").length === 2, "a.txt again");
    expect(queue.get("cr-a3")?.status).toBe("leased");
    queue.release(leased!.id, leased!.token);
    f.stop();
    // Closing judged whatever was still pending: still no own write among the external edits.
    expect(external.all().map((r) => r.path)).toEqual(["probe.txt", "never.txt", "a.txt", "a.txt"]);
  });
});

test("an outside edit that keeps the size and the times of Hyperion's write is recorded", async () => {
  await using f = await watched({ "a.txt": "one\n" });
  f.queue.enqueue([{ id: "cr-a", task_id: "t", changes: [makeFileChange("a.txt", "one\n", "two\n")] }]);
  expect((await f.applier.process(8)).map((o) => o.status)).toEqual(["applied"]);
  const abs = join(f.root, "a.txt");
  const { atime, mtime, size } = statSync(abs);
  // The same bytes count, written in place (same inode), its times set back to Hyperion's write.
  writeFileSync(abs, "owt\n");
  utimesSync(abs, atime, mtime);
  expect(statSync(abs).size).toBe(size);
  expect(statSync(abs).mtimeMs).toBe(mtime.getTime());
  await eventually(() => f.external.all().length > 0, "edit recorded");
  expect(f.external.all()).toEqual([{ path: "a.txt", kind: "modified" }]);
});

test("watches every directory of the tree but .git/ and .hyperion/, also those made or made again later", async () => {
  await using f = await watched({ "src/deep/er/a.txt": "one\n", "gone/b.txt": "one\n" });
  const recorded = (path: string) => f.external.all().filter((r) => r.path === path);
  writeFileSync(join(f.root, "src/deep/er/a.txt"), "two\n");
  await eventually(() => recorded("src/deep/er/a.txt").length === 1, "deep edit recorded");
  // A directory made after the watch began: what it held before its own watch began is judged too.
  mkdirSync(join(f.root, "fresh/sub"), { recursive: true });
  writeFileSync(join(f.root, "fresh/sub/c.txt"), "new\n");
  await eventually(() => recorded("fresh/sub/c.txt").length === 1, "file in a new directory recorded");
  writeFileSync(join(f.root, "fresh/sub/c.txt"), "newer\n");
  await eventually(() => recorded("fresh/sub/c.txt").length === 2, "its next edit recorded");
  // A directory removed and made again is watched again.
  rmSync(join(f.root, "gone"), { recursive: true });
  await eventually(() => recorded("gone/b.txt").length === 1, "removal recorded");
  mkdirSync(join(f.root, "gone"));
  writeFileSync(join(f.root, "gone/d.txt"), "back\n");
  await eventually(() => recorded("gone/d.txt").length === 1, "file in the new directory recorded");
  writeFileSync(join(f.root, "gone/d.txt"), "again\n");
  await eventually(() => recorded("gone/d.txt").length === 2, "its next edit recorded");
  f.stop();
  expect(recorded("gone/b.txt")).toEqual([{ path: "gone/b.txt", kind: "deleted" }]);
  expect(f.external.all().filter((r) => r.path.startsWith(".hyperion") || r.path.startsWith(".git"))).toEqual(
    [],
  );
});

describe("verdict", () => {
  const w = (id: number, before: string | null, after: string | null) => ({ id, before, after });

  test("Hyperion's last write is its own; any other state of an unleased path is external", () => {
    const facts = { own: [w(7, "a", "b"), w(3, null, "a")], leased: false };
    expect(verdict("b", facts, 7, false)).toBe("own");
    expect(verdict("a", facts, 7, false)).toBe("external");
    expect(verdict("x", facts, 7, false)).toBe("external");
    expect(verdict(null, facts, 7, false)).toBe("external");
    expect(verdict("x", { own: [], leased: false }, 7, false)).toBe("external");
  });

  test("while leased, the states of Hyperion's writes wait and any other is external at once", () => {
    const facts = { own: [w(7, "a", "b"), w(3, "z", "a")], leased: true };
    for (const s of ["a", "b", null]) expect(verdict(s, facts, 7, false)).toBe("wait");
    expect(verdict("x", facts, 7, false)).toBe("external");
    // Closing judges what is there: nothing waits any longer.
    expect(verdict("a", facts, 7, true)).toBe("external");
    expect(verdict("b", facts, 7, true)).toBe("own");
  });

  test("a state a write recorded after the read found or left waits; it is external once the record is older", () => {
    // Writes 8 and 9 were recorded after the mark: the file may have been read before them.
    const facts = { own: [w(9, "b", "c"), w(8, "a", "b"), w(5, "z", "a")], leased: false };
    expect(verdict("a", facts, 7, false)).toBe("wait");
    expect(verdict("b", facts, 7, false)).toBe("wait");
    expect(verdict("x", facts, 7, false)).toBe("external");
    // Read after both were recorded: only the last write's state is Hyperion's.
    expect(verdict("a", facts, 9, false)).toBe("external");
    expect(verdict("b", facts, 9, false)).toBe("external");
  });
});
