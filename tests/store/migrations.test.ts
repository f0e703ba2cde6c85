import type { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createQueue } from "../../lib/queue/index.ts";
import { appliedMigrations, latestVersion, migrations, openDatabase } from "../../lib/store/index.ts";
import { run, thrown, tmpdir } from "../_helpers.ts";

const TABLES = [
  "task_requests",
  "tasks",
  "change_queue",
  "change_paths",
  "path_line",
  "change_payloads",
  "change_queue_logs",
  "dead_letters",
  "file_modifications",
  "pre_images",
  "approvals",
  "agent_sessions",
];

const tables = (db: Database) =>
  db
    .query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table'")
    .all()
    .map((r) => r.name);

describe("openDatabase", () => {
  test("a fresh database gets WAL, foreign keys and every table of DESIGN.md", async () => {
    await using dir = await tmpdir();
    const db = openDatabase(join(dir.path, "h.db"), { create: true });
    expect(db.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()?.journal_mode).toBe("wal");
    expect(db.query<{ foreign_keys: number }, []>("PRAGMA foreign_keys").get()?.foreign_keys).toBe(1);
    expect(db.query<{ timeout: number }, []>("PRAGMA busy_timeout").get()?.timeout).toBe(5000);
    expect(tables(db)).toEqual(expect.arrayContaining([...TABLES, "schema_migrations"]));
    expect(appliedMigrations(db).map((m) => m.version)).toEqual(migrations.map((m) => m.version));
    db.close();
  });

  test("opening again applies nothing twice", async () => {
    await using dir = await tmpdir();
    const path = join(dir.path, "h.db");
    openDatabase(path, { create: true }).close();
    const db = openDatabase(path);
    expect(appliedMigrations(db)).toHaveLength(migrations.length);
    db.close();
  });

  test("a later migration is applied to an older database", async () => {
    await using dir = await tmpdir();
    const path = join(dir.path, "h.db");
    openDatabase(path, { create: true }).close();
    const next = [
      ...migrations,
      { version: latestVersion() + 1, name: "extra", sql: "CREATE TABLE extra (x)" },
    ];
    const db = openDatabase(path, { migrations: next });
    expect(tables(db)).toContain("extra");
    expect(appliedMigrations(db).at(-1)).toMatchObject({ version: latestVersion() + 1, name: "extra" });
    db.close();
  });

  test("four processes migrating one new file at once all succeed, each migration recorded once", async () => {
    await using dir = await tmpdir();
    const path = join(dir.path, "h.db");
    const child = join(import.meta.dir, "_open-child.ts");
    const results = await Promise.all([1, 2, 3, 4].map(() => run([process.execPath, child, path])));
    for (const r of results) expect(r).toMatchObject({ exitCode: 0, stdout: "ok\n" });
    const db = openDatabase(path);
    expect(appliedMigrations(db).map((m) => m.version)).toEqual(migrations.map((m) => m.version));
    db.close();
  });

  test("a database from a newer schema version is refused and left byte-for-byte unchanged", async () => {
    await using dir = await tmpdir();
    const path = join(dir.path, "h.db");
    const next = [
      ...migrations,
      { version: latestVersion() + 5, name: "future", sql: "CREATE TABLE future (x)" },
    ];
    const newer = openDatabase(path, { create: true, migrations: next });
    newer.run("PRAGMA wal_checkpoint(TRUNCATE)");
    newer.close();
    const before = readFileSync(path);
    const e = thrown(() => openDatabase(path));
    expect(e.code).toBe("E_DB_NEWER");
    expect(e.exitCode).toBe(1);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  test("a file that is not a database is reported as corrupt", async () => {
    await using dir = await tmpdir();
    const path = join(dir.path, "h.db");
    writeFileSync(path, "this is not sqlite, just some text long enough to have a header".repeat(20));
    const before = readFileSync(path);
    expect(thrown(() => openDatabase(path)).code).toBe("E_DB_CORRUPT");
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  test("version 2 carries a version-1 queue over: who is in line on each path, and in what order", async () => {
    await using dir = await tmpdir();
    const path = join(dir.path, "h.db");
    const v1 = openDatabase(path, { create: true, migrations: migrations.slice(0, 1) });
    const put = v1.prepare(
      `INSERT INTO change_queue (seq, id, task_id, status, max_attempts, available_at, payload, payload_sha256,
         signature, enqueued_at, updated_at, ready, lease_owner, leased_until, lease_token)
       VALUES (?, ?, 't', ?, 3, 0, '{}', '', '', 0, 0, ?, ?, ?, ?)`,
    );
    // As version 1 left them: a leased change and a queued one behind it on x, a ready one on y,
    // and an applied one that is out of every line.
    put.run(1, "cr-a", "leased", 0, "w", Date.now() + 60_000, 1);
    put.run(2, "cr-b", "queued", 0, null, null, 0);
    put.run(3, "cr-c", "queued", 1, null, null, 0);
    put.run(4, "cr-d", "applied", 0, null, null, 1);
    const path1 = v1.prepare("INSERT INTO change_paths (seq, path, state) VALUES (?, ?, ?)");
    for (const [seq, p, state] of [
      [1, "x", 1],
      [2, "x", 1],
      [3, "y", 1],
      [4, "x", 0],
    ] as const)
      path1.run(seq, p, state);
    v1.close();

    const db = openDatabase(path);
    // Version 9 keys the line by file (fileKey): these keys are the paths themselves.
    expect(db.query("SELECT key, seq FROM path_line ORDER BY key, seq").all()).toEqual([
      { key: "x", seq: 1 },
      { key: "x", seq: 2 },
      { key: "y", seq: 3 },
    ]);
    const q = createQueue(db, { secret: new Uint8Array(32) });
    expect(q.lease("w2")?.id).toBe("cr-c"); // cr-b waits behind the leased cr-a
    expect(q.lease("w2")).toBeNull();
    q.complete("cr-a", 1);
    expect(q.lease("w2")?.id).toBe("cr-b");
    db.close();
  });

  test("version 3 moves each payload and its signature out of change_queue, intact and still verified", async () => {
    await using dir = await tmpdir();
    const path = join(dir.path, "h.db");
    const secret = new Uint8Array(32).fill(7);
    // How payloads were signed before version 5: HMAC of the payload alone.
    const legacySignature = (payload: string) =>
      new Bun.CryptoHasher("sha256", secret).update(payload).digest("hex");
    const v2 = openDatabase(path, { create: true, migrations: migrations.slice(0, 2) });
    const put = v2.prepare(
      `INSERT INTO change_queue (seq, id, task_id, status, max_attempts, available_at, payload, payload_sha256,
         signature, enqueued_at, updated_at, ready) VALUES (?, ?, 't', 'queued', 3, 0, ?, '', ?, 0, 0, 1)`,
    );
    const before = ["x", "y"].map((p, i) => {
      const id = `cr-${p}`;
      // The second is large enough to spill into overflow pages.
      const payload = JSON.stringify({ id, task_id: "t", summary: "é".repeat(3000 * i), changes: [] });
      put.run(i + 1, id, payload, legacySignature(payload));
      v2.run("INSERT INTO change_paths (seq, path) VALUES (?, ?)", [i + 1, p]);
      v2.run("INSERT INTO path_line (path, seq) VALUES (?, ?)", [p, i + 1]);
      return { id, payload, signature: legacySignature(payload) };
    });
    v2.close();

    const db = openDatabase(path);
    const columns = db
      .query<{ name: string }, []>("PRAGMA table_info(change_queue)")
      .all()
      .map((c) => c.name);
    expect(columns).not.toContain("payload");
    expect(columns).not.toContain("signature");
    const q = createQueue(db, { secret });
    const leased = [q.lease("w"), q.lease("w")];
    expect(leased.map((l) => ({ id: l?.id, payload: l?.payload, signature: l?.signature }))).toEqual(before);
    // Signed before version 5 bound signatures to the repository id: intact, and no longer trusted.
    for (const l of leased) expect(q.verify(l!)).toBe(false);
    expect(q.get("cr-y")!.payload).toBe(before[1]!.payload);
    db.close();
  });

  test("version 9 merges the lines of one file's spellings, keeping queue order and readiness", async () => {
    await using dir = await tmpdir();
    const path = join(dir.path, "h.db");
    const v8 = openDatabase(path, { create: true, migrations: migrations.slice(0, 8) });
    const payload = v8.prepare("INSERT INTO change_payloads (payload, signature) VALUES (?, '')");
    const put = v8.prepare(
      `INSERT INTO change_queue (seq, id, task_id, status, max_attempts, available_at, payload_id, payload_sha256,
         enqueued_at, updated_at, ready, lease_owner, leased_until, lease_token)
       VALUES (?, ?, 't', ?, 3, 0, ?, '', 0, 0, ?, ?, ?, 1)`,
    );
    const NFC = "caf\u00e9";
    const NFD = "cafe\u0301";
    // As version 8 left them, a line per spelling: on one file, a leased change and a queued one
    // that was first in its own line, and one behind that; a queued change first in its line
    // ahead of a leased one on another spelling; NFD and NFC spellings; a change on a file of
    // its own; and an applied change out of every line.
    const rows = [
      [1, "cr-a", "leased", 0, "Src/A.txt"],
      [2, "cr-b", "queued", 1, "src/a.txt"],
      [3, "cr-c", "queued", 0, "src/a.txt"],
      [4, "cr-d", "queued", 1, "b.txt"],
      [5, "cr-e", "leased", 0, "B.TXT"],
      [6, "cr-f", "queued", 1, NFD],
      [7, "cr-g", "queued", 1, NFC],
      [8, "cr-h", "queued", 1, "y"],
      [9, "cr-i", "applied", 0, "Y"],
    ] as const;
    for (const [seq, id, status, ready, p] of rows) {
      const pid = Number(payload.run(JSON.stringify({ id, task_id: "t", changes: [] })).lastInsertRowid);
      const leased = status === "leased";
      put.run(seq, id, status, pid, ready, leased ? "w" : null, leased ? Date.now() + 60_000 : null);
      v8.run("INSERT INTO change_paths (seq, path, result_sha256) VALUES (?, ?, ?)", [seq, p, `r${seq}`]);
      if (status !== "applied") v8.run("INSERT INTO path_line (path, seq) VALUES (?, ?)", [p, seq]);
    }
    v8.close();

    const db = openDatabase(path);
    expect(appliedMigrations(db).at(-1)?.version).toBe(latestVersion());
    expect(db.query("SELECT key, seq FROM path_line ORDER BY key, seq").all()).toEqual([
      { key: "b.txt", seq: 4 },
      { key: "b.txt", seq: 5 },
      { key: NFC, seq: 6 },
      { key: NFC, seq: 7 },
      { key: "src/a.txt", seq: 1 },
      { key: "src/a.txt", seq: 2 },
      { key: "src/a.txt", seq: 3 },
      { key: "y", seq: 8 },
    ]);
    // Ready: first in line on its file, and no change in its line is leased.
    const ready = db
      .query<{ id: string }, []>("SELECT id FROM change_queue WHERE ready = 1 ORDER BY seq")
      .all();
    expect(ready.map((r) => r.id)).toEqual(["cr-f", "cr-h"]);
    const q = createQueue(db, { secret: new Uint8Array(32) });
    // Listings show each change's own spelling; what a change leaves is still found, by any spelling.
    expect([q.paths("cr-a"), q.paths("cr-b"), q.paths("cr-f"), q.paths("cr-i")]).toEqual([
      ["Src/A.txt"],
      ["src/a.txt"],
      [NFD],
      ["Y"],
    ]);
    expect(q.producerOf("SRC/a.TXT", "r2")).toBe("cr-b");
    expect(q.leaseBatch("w2", 10).map((l) => l.id)).toEqual(["cr-f", "cr-h"]);
    // cr-e, leased when the lines merged, steps back: cr-d, ahead of it, leases first.
    const e = q.get("cr-e")!;
    expect(q.release(e.id, e.lease_token)).toBe(true);
    expect(q.lease("w2")?.id).toBe("cr-d");
    const a = q.get("cr-a")!;
    q.complete(a.id, a.lease_token);
    expect(q.leaseBatch("w2", 10).map((l) => l.id)).toEqual(["cr-b"]);
    const b = q.get("cr-b")!;
    q.complete(b.id, b.lease_token);
    expect(q.lease("w2")?.id).toBe("cr-c");
    expect(q.lease("w2")).toBeNull();
    db.close();
  });

  test("version 13 gives every stored file modification its file key, found through its index", async () => {
    await using dir = await tmpdir();
    const path = join(dir.path, "h.db");
    const v12 = openDatabase(path, { create: true, migrations: migrations.slice(0, 12) });
    const NFD = "Cafe\u0301.txt";
    for (const [p, source] of [
      ["Src/A.txt", "apply"],
      [NFD, "rollback"],
      ["b.txt", "external"],
    ])
      v12.run("INSERT INTO file_modifications (path, kind, source, ts) VALUES (?, 'modify', ?, 1)", [
        p!,
        source!,
      ]);
    v12.close();

    const db = openDatabase(path);
    expect(appliedMigrations(db).at(-1)?.version).toBe(latestVersion());
    expect(db.query("SELECT path, key FROM file_modifications ORDER BY id").all()).toEqual([
      { path: "Src/A.txt", key: "src/a.txt" },
      { path: NFD, key: "caf\u00e9.txt" },
      { path: "b.txt", key: "b.txt" },
    ]);
    const plan = db
      .query<{ detail: string }, []>(
        "EXPLAIN QUERY PLAN SELECT id FROM file_modifications WHERE key = 'src/a.txt' ORDER BY ts DESC LIMIT 4",
      )
      .all();
    expect(plan.map((r) => r.detail).join("; ")).toMatch(/USING (COVERING )?INDEX file_modifications_key/);
    db.close();
  });

  test("a missing database is not created unless asked", async () => {
    await using dir = await tmpdir();
    expect(thrown(() => openDatabase(join(dir.path, "none.db"))).code).toBe("E_NOT_INITIALIZED");
  });
});
