import type { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HyperionError } from "../../lib/errors.ts";
import { appliedMigrations, latestVersion, migrations, openDatabase } from "../../lib/store/index.ts";
import { run, tmpdir } from "../_helpers.ts";

const TABLES = [
  "task_requests",
  "tasks",
  "change_queue",
  "change_paths",
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

const thrown = (fn: () => unknown): HyperionError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof HyperionError) return e;
    throw e;
  }
  throw new Error("expected a HyperionError");
};

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

  test("a missing database is not created unless asked", async () => {
    await using dir = await tmpdir();
    expect(thrown(() => openDatabase(join(dir.path, "none.db"))).code).toBe("E_NOT_INITIALIZED");
  });
});
