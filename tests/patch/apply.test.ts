import { describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, renameSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  applyChange,
  applyChanges,
  makeFileChange,
  rollbackChange,
  signPayload,
  validateChangeRequest,
} from "../../lib/patch/index.ts";
import { repositoryId } from "../../lib/store/index.ts";
import { fixture, limits, rows, snapshotTree, thrown } from "./_fixture.ts";

describe("applyChange", () => {
  test("re-validates paths at apply time: a directory swapped for a symlink since enqueue is refused", async () => {
    await using f = await fixture();
    f.write({ "src/a.ts": "a\n" });
    mkdirSync(join(f.root, "elsewhere"));
    writeFileSync(join(f.root, "elsewhere/a.ts"), "a\n");
    const cr = { task_id: "t", changes: [makeFileChange("src/a.ts", "a\n", "pwned\n")] };
    validateChangeRequest(cr, { repo: f.repo, limits });
    renameSync(join(f.repo, "src"), join(f.root, "moved-src"));
    symlinkSync(join(f.root, "elsewhere"), join(f.repo, "src"));
    const before = snapshotTree(f.root);
    expect(
      thrown(() => applyChange({ repo: f.repo, db: f.db, secret: f.secret, change: f.signed(cr) })).code,
    ).toBe("E_PATH_OUTSIDE_REPO");
    expect(snapshotTree(f.root)).toEqual(before);
  });

  test("a symlinked directory inside the repository is followed", async () => {
    await using f = await fixture();
    f.write({ "real/a.ts": "a\n" });
    symlinkSync("real", join(f.repo, "alias"));
    applyChange({
      repo: f.repo,
      db: f.db,
      secret: f.secret,
      change: f.signed({ task_id: "t", changes: [makeFileChange("alias/a.ts", "a\n", "b\n")] }),
    });
    expect(f.read("real/a.ts")).toBe("b\n");
  });

  test("applying the same payload again reports it applied and writes nothing; another payload is refused", async () => {
    await using f = await fixture();
    f.write({ "a.txt": "1\n" });
    const row = f.signed({ id: "cr-x", task_id: "t", changes: [makeFileChange("a.txt", "1\n", "2\n")] });
    const first = applyChange({ repo: f.repo, db: f.db, secret: f.secret, change: row });
    const again = applyChange({ repo: f.repo, db: f.db, secret: f.secret, change: row });
    expect(again).toEqual({ ...first, already: true });
    expect(rows(f.db).journal).toHaveLength(1);
    const payload = JSON.stringify({
      id: "cr-x",
      task_id: "t",
      changes: [makeFileChange("a.txt", "2\n", "3\n")],
    });
    const other = {
      id: "cr-x",
      payload,
      signature: signPayload(f.secret, { repository: repositoryId(f.db), id: "cr-x", payload }),
    };
    expect(thrown(() => applyChange({ repo: f.repo, db: f.db, secret: f.secret, change: other })).code).toBe(
      "E_ALREADY_APPLIED",
    );
    expect(f.read("a.txt")).toBe("2\n");
  });

  test("a change on paths held by a pending entry is refused as in progress, retryably", async () => {
    await using f = await fixture();
    f.write({ "a.txt": "1\n" });
    const first = f.signed({ task_id: "t", changes: [makeFileChange("a.txt", "1\n", "2\n")] });
    expect(() =>
      applyChange({
        repo: f.repo,
        db: f.db,
        secret: f.secret,
        change: first,
        onStep: (s) => {
          if (s === "temps") throw new Error("halt before renames");
        },
      }),
    ).toThrow("halt");
    const second = f.signed({ task_id: "t", changes: [makeFileChange("a.txt", "1\n", "3\n")] });
    const e = thrown(() => applyChange({ repo: f.repo, db: f.db, secret: f.secret, change: second }));
    expect(e.code).toBe("E_APPLY_IN_PROGRESS");
    expect(e.message).toBe(`'a.txt' is being changed by apply of ${first.id}`);
    expect(e.retryable).toBe(true);
    expect(f.read("a.txt")).toBe("1\n");
  });

  test("a pending entry whose plan is not JSON is reported as a damaged database, and nothing is written", async () => {
    await using f = await fixture();
    f.write({ "a.txt": "1\n" });
    f.db.run(
      "INSERT INTO apply_journal (change_id, kind, state, owner, plan, created_at, updated_at) VALUES ('x', 'apply', 'pending', 'o', 'not json', 0, 0)",
    );
    const change = f.signed({ task_id: "t", changes: [makeFileChange("a.txt", "1\n", "2\n")] });
    const e = thrown(() => applyChange({ repo: f.repo, db: f.db, secret: f.secret, change }));
    expect(e.code).toBe("E_DB_CORRUPT");
    expect(f.read("a.txt")).toBe("1\n");
    expect(f.db.query("SELECT count(*) AS n FROM apply_journal").get()).toEqual({ n: 1 });
  });
});

describe("applyChanges", () => {
  test("each change succeeds or fails on its own, outcomes in the order given", async () => {
    await using f = await fixture();
    f.write({ "a.txt": "a\n", "b.txt": "b\n", "c.txt": "c\n" });
    const good1 = f.signed({ task_id: "t", changes: [makeFileChange("a.txt", "a\n", "A\n")] });
    const bad = f.signed({ task_id: "t", changes: [makeFileChange("b.txt", "not b\n", null)] });
    const good2 = f.signed({ task_id: "t", changes: [makeFileChange("c.txt", "c\n", "C\n")] });
    const out = applyChanges({ repo: f.repo, db: f.db, secret: f.secret, changes: [good1, bad, good2] });
    expect(out.map((o) => [o.id, o.ok ? "ok" : o.error.code])).toEqual([
      [good1.id, "ok"],
      [bad.id, "E_CONFLICT"],
      [good2.id, "ok"],
    ]);
    expect([f.read("a.txt"), f.read("b.txt"), f.read("c.txt")]).toEqual(["A\n", "b\n", "C\n"]);
  });

  test("changes stacked on one path apply in order, the second against the first's result", async () => {
    await using f = await fixture();
    f.write({ "a.txt": "1\n" });
    const one = f.signed({ task_id: "t", changes: [makeFileChange("a.txt", "1\n", "2\n")] });
    const two = f.signed({ task_id: "t", changes: [makeFileChange("a.txt", "2\n", "3\n")] });
    const out = applyChanges({ repo: f.repo, db: f.db, secret: f.secret, changes: [one, two] });
    expect(out.every((o) => o.ok && !o.result.rebased)).toBe(true);
    expect(f.read("a.txt")).toBe("3\n");
  });
});

test("each file keeps its mode, though its temp is written into the inode of a file replaced before", async () => {
  await using f = await fixture();
  // Under the usual umask (022) 0644 and 0755 are written in one call; 0664 and 0666 need a chmod.
  const modes: Record<string, number> = { "a.txt": 0o644, "b.sh": 0o755, "c.txt": 0o664, "d.txt": 0o666 };
  f.write(Object.fromEntries(Object.entries(modes).map(([p, m]) => [p, ["1\n", m] as [string, number]])));
  const changes = Object.keys(modes).map((p) =>
    f.signed({ task_id: "t", changes: [makeFileChange(p, "1\n", "2\n")] }),
  );
  const inodes = Object.keys(modes).map((p) => statSync(join(f.repo, p)).ino);
  const out = applyChanges({ repo: f.repo, db: f.db, secret: f.secret, changes });
  expect(out.every((o) => o.ok)).toBe(true);
  // The first file's temp is a new inode; each later one reuses the inode of the file before it.
  expect(
    Object.keys(modes)
      .map((p) => statSync(join(f.repo, p)).ino)
      .slice(1),
  ).toEqual(inodes.slice(0, -1));
  expect(readdirSync(join(f.repo, ".hyperion/spares"))).toEqual([]);
  for (const [p, m] of Object.entries(modes)) {
    expect(f.read(p)).toBe("2\n");
    expect(statSync(join(f.repo, p)).mode & 0o777).toBe(m);
  }
});

test("in groups, a change on a path of an earlier group reads what that group wrote", async () => {
  await using f = await fixture();
  const files: Record<string, string> = {};
  for (let i = 0; i < 8; i++) files[`f${i}.txt`] = "0\n";
  f.write(files);
  // Groups of two; the same files come back every few changes, across group boundaries.
  const version = new Map<string, number>();
  const changes = Array.from({ length: 24 }, (_, k) => {
    const path = `f${k % 3}.txt`;
    const v = version.get(path) ?? 0;
    version.set(path, v + 1);
    return f.signed({ task_id: "t", changes: [makeFileChange(path, `${v}\n`, `${v + 1}\n`)] });
  });
  const out = applyChanges({ repo: f.repo, db: f.db, secret: f.secret, changes, batch: 2 });
  expect(out.map((o) => (o.ok ? (o.result.rebased ? "rebased" : "ok") : o.error.code))).toEqual(
    changes.map(() => "ok"),
  );
  for (const [path, v] of version) expect(f.read(path)).toBe(`${v}\n`);
});

test("a caller's bookkeeping commits in the transaction that records its group applied", async () => {
  await using f = await fixture();
  f.write({ "a.txt": "a\n", "b.txt": "b\n", "c.txt": "c\n" });
  const changes = [
    f.signed({ task_id: "t", changes: [makeFileChange("a.txt", "a\n", "A\n")] }),
    f.signed({ task_id: "t", changes: [makeFileChange("b.txt", "not b\n", null)] }),
    f.signed({ task_id: "t", changes: [makeFileChange("c.txt", "c\n", "C\n")] }),
  ];
  const seen: { ids: string[]; inTransaction: boolean; states: string[] }[] = [];
  const out = applyChanges({
    repo: f.repo,
    db: f.db,
    secret: f.secret,
    changes,
    inCommit: (applied) => {
      seen.push({
        ids: applied.map((a) => a.id),
        inTransaction: f.db.inTransaction,
        states: rows(f.db).journal.map((j) => j.state),
      });
    },
  });
  expect(out.map((o) => (o.ok ? "ok" : o.error.code))).toEqual(["ok", "E_CONFLICT", "ok"]);
  // Only the changes applied, inside the transaction, which has already marked them done.
  expect(seen).toEqual([
    { ids: [changes[0]!.id, changes[2]!.id], inTransaction: true, states: ["applied", "applied"] },
  ]);

  // When the caller's part fails, so does the commit: the entries stay pending for recovery.
  f.write({ "d.txt": "d\n" });
  const d = f.signed({ task_id: "t", changes: [makeFileChange("d.txt", "d\n", "D\n")] });
  expect(() =>
    applyChanges({
      repo: f.repo,
      db: f.db,
      secret: f.secret,
      changes: [d],
      inCommit: () => {
        throw new Error("the queue refused");
      },
    }),
  ).toThrow("the queue refused");
  expect(
    rows(f.db)
      .journal.map((j) => [j.change_id, j.state])
      .at(-1),
  ).toEqual([d.id, "pending"]);
});

describe("failures half way through", () => {
  const setup = async () => {
    const f = await fixture();
    f.write({ "a.txt": "a\n", "b.txt": "b\n" });
    const row = f.signed({
      task_id: "t",
      changes: [
        makeFileChange("a.txt", "a\n", "A\n"),
        makeFileChange("b.txt", "b\n", null),
        makeFileChange("n/c.txt", null, "c\n"),
      ],
    });
    return { f, row };
  };

  test("an error while temps are written removes them and the journal entry: tree and db as before", async () => {
    const { f, row } = await setup();
    await using _ = f;
    const tree = snapshotTree(f.repo);
    const e = thrown(() =>
      applyChange({
        repo: f.repo,
        db: f.db,
        secret: f.secret,
        change: row,
        onStep: (s) => {
          if (s === "temp:n/c.txt") throw new Error("ENOSPC: no space left on device");
        },
      }),
    );
    expect(e.code).toBe("E_IO");
    expect(e.retryable).toBe(true);
    expect(snapshotTree(f.repo)).toEqual(tree);
    expect(rows(f.db)).toEqual({ journal: [], pre: [], mods: [] });
  });

  test("an error between renames undoes the renamed files at once", async () => {
    const { f, row } = await setup();
    await using _ = f;
    const tree = snapshotTree(f.repo);
    const e = thrown(() =>
      applyChange({
        repo: f.repo,
        db: f.db,
        secret: f.secret,
        change: row,
        onStep: (s) => {
          if (s === "rename:b.txt") throw new Error("EIO: i/o error");
        },
      }),
    );
    expect(e.code).toBe("E_IO");
    expect(snapshotTree(f.repo)).toEqual(tree);
    expect(rows(f.db)).toEqual({
      journal: [{ change_id: row.id, kind: "apply", state: "aborted" }],
      pre: [],
      mods: [],
    });
    // The change is not lost: once the disk is back, it applies.
    applyChange({ repo: f.repo, db: f.db, secret: f.secret, change: row });
    expect(f.read("a.txt")).toBe("A\n");
  });
});

test("journal rows edited on disk are reported as a corrupt database, never half-trusted", async () => {
  await using f = await fixture();
  f.write({ "a.txt": "1\n" });
  const row = f.signed({ task_id: "t", changes: [makeFileChange("a.txt", "1\n", "2\n")] });
  applyChange({ repo: f.repo, db: f.db, secret: f.secret, change: row });
  f.db.run("UPDATE apply_journal SET result = 'not json'");
  expect(thrown(() => applyChange({ repo: f.repo, db: f.db, secret: f.secret, change: row })).code).toBe(
    "E_ALREADY_APPLIED",
  );
  f.db.run("UPDATE apply_journal SET plan = '{\"files\": 7}'");
  expect(thrown(() => rollbackChange({ repo: f.repo, db: f.db, changeId: row.id })).code).toBe(
    "E_DB_CORRUPT",
  );
  expect(f.read("a.txt")).toBe("2\n");
});
