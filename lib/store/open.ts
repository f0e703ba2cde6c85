import { constants, Database } from "bun:sqlite";
import { accessSync, existsSync, constants as fs, statSync } from "node:fs";
import { dirname } from "node:path";
import { envError, HyperionError, usageError } from "../errors.ts";
import { corruptError, readOnlyError, storageError } from "./db-errors.ts";
import { markReadOnly, rememberFile } from "./db-file.ts";
import { migrations as allMigrations, latestVersion, type Migration, runMigration } from "./migrations.ts";
import { writeTx } from "./write-tx.ts";

export type OpenOptions = {
  /** Create the file when missing (only `hyperion init` and tests do). */
  create?: boolean;
  /** Milliseconds a statement waits on a lock held by another connection. */
  busyTimeoutMs?: number;
  /** Migrations to apply; tests pass longer lists to play a newer binary. */
  migrations?: readonly Migration[];
};

/** A failure while opening: the storage fault it is (read-only, full, damaged), else E_DB_OPEN. */
const openFailure = (path: string, cause: unknown): HyperionError => {
  const e = storageError(path, cause);
  if (e instanceof HyperionError) return e;
  return new HyperionError("E_DB_OPEN", `cannot open ${path}: ${String(cause)}`, {
    exitCode: 1,
    hint: "check the file and its directory",
    cause,
  });
};

/** Writable as far as the kernel says: a read-only mount refuses even root (EROFS). */
export const writable = (path: string): boolean => {
  try {
    accessSync(path, fs.W_OK);
    accessSync(dirname(path), fs.W_OK);
    return true;
  } catch {
    return false;
  }
};

/** WAL pages between automatic checkpoints (see openDatabase). */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000;

/**
 * Opens one connection with Hyperion's pragmas and brings the schema up to date.
 * Every thread and process opens its own; a connection is never shared across threads.
 */
export const openDatabase = (path: string, opts: OpenOptions = {}): Database => {
  const migrations = opts.migrations ?? allMigrations;
  if (!opts.create && !existsSync(path)) {
    throw usageError(
      "E_NOT_INITIALIZED",
      `no Hyperion database at ${path}, and no .hyperion/ in a directory above`,
      "run `hyperion init` at the repository's root, or pass --repo DIR",
    );
  }
  if (!opts.create && !writable(path)) return openReadOnly(path, migrations, opts);
  let db: Database;
  try {
    db = new Database(path, { create: true, strict: true });
  } catch (cause) {
    throw envError(
      "E_DB_OPEN",
      `cannot open ${path}: ${String(cause)}`,
      "check that the directory exists and is writable",
    );
  }
  try {
    db.run(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(opts.busyTimeoutMs ?? 5_000))}`);
    // Read before any write, so a database from a newer binary is refused untouched.
    const version = readVersion(db, path);
    const latest = migrations.at(-1)?.version ?? 0;
    if (version > latest) throw newer(path, version, latest);
    // A new file frees the pages archival empties in short steps (vacuum.ts). Set before WAL:
    // switching to WAL writes the header, which fixes the auto-vacuum mode.
    if (version === 0) db.run("PRAGMA auto_vacuum = INCREMENTAL");
    const mode = db.query<{ journal_mode: string }, []>("PRAGMA journal_mode = WAL").get();
    if (mode?.journal_mode !== "wal") {
      throw envError(
        "E_DB_WAL",
        `${path} cannot use WAL journaling (got ${mode?.journal_mode})`,
        "use a local disk",
      );
    }
    db.run("PRAGMA foreign_keys = ON");
    db.run("PRAGMA synchronous = NORMAL");
    // A checkpoint (copy the WAL into the database, two fsyncs) runs inside the commit that
    // crosses this many WAL pages. At SQLite's default of 1,000 a worker draining one change at
    // a time paid one every ~100 commits; at 10,000 (~40 MB of WAL) the fsyncs are 10x rarer and
    // pages rewritten in between (index heads, the log's tail) are copied once.
    db.run(`PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    rememberFile(db, path);
    if (version < latest) migrate(db, migrations, path);
    return db;
  } catch (e) {
    db.close();
    throw openFailure(path, e);
  }
};

/**
 * A database whose file or directory cannot be written (a read-only mount, `chattr +i`): opened
 * for reading, so list, logs and summary work; every write is E_DB_READONLY (write-tx.ts).
 */
const openReadOnly = (path: string, migrations: readonly Migration[], opts: OpenOptions): Database =>
  readOnlyConnection(openFileReadOnly(path), path, migrations, opts);

/**
 * Opens a file that cannot be written for reading. A WAL database needs its -shm, which a
 * read-only directory cannot get; with no WAL content to miss, the file alone is the whole
 * database, so it is then read as immutable.
 */
export const openFileReadOnly = (path: string): Database => {
  let db: Database | undefined;
  try {
    db = new Database(path, { readonly: true, strict: true });
    db.run("PRAGMA busy_timeout = 5000"); // a writer elsewhere may hold the WAL index a moment
    db.query("PRAGMA user_version").get(); // the file is opened lazily: make it happen here
    markReadOnly(db, path);
    return db;
  } catch (e) {
    db?.close();
    const code = (e as { code?: string }).code;
    if (code !== "SQLITE_CANTOPEN" || (statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0) > 0)
      throw openFailure(path, e);
  }
  const uri = `file:${path.replace(/[%?#]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)}?immutable=1`;
  try {
    const db = new Database(uri, constants.SQLITE_OPEN_READONLY | constants.SQLITE_OPEN_URI);
    markReadOnly(db, path);
    return db;
  } catch (e) {
    throw openFailure(path, e);
  }
};

const readOnlyConnection = (
  db: Database,
  path: string,
  migrations: readonly Migration[],
  opts: OpenOptions,
): Database => {
  try {
    db.run(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(opts.busyTimeoutMs ?? 5_000))}`);
    const version = readVersion(db, path);
    const latest = migrations.at(-1)?.version ?? 0;
    if (version > latest) throw newer(path, version, latest);
    if (version < latest) throw readOnlyError(path);
    return db;
  } catch (e) {
    db.close();
    throw openFailure(path, e);
  }
};

const newer = (path: string, version: number, latest: number) =>
  envError(
    "E_DB_NEWER",
    `${path} has schema version ${version}, newer than this hyperion knows (${latest})`,
    "upgrade hyperion; the database was left unchanged",
  );

const readVersion = (db: Database, path: string): number => {
  try {
    return db.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version ?? 0;
  } catch (e) {
    throw openFailure(path, e);
  }
};

/**
 * A bounded check of the pages before a run writes: `PRAGMA quick_check` (b-tree structure,
 * no index-to-table cross-check) stopping at the first fault, so a damaged page stops the run
 * with E_DB_CORRUPT before anything is applied. Cost grows with the file; archival keeps it small.
 */
export const checkIntegrity = (db: Database): void => {
  let rows: { quick_check: string }[];
  try {
    rows = db.query<{ quick_check: string }, []>("PRAGMA quick_check(1)").all();
  } catch (e) {
    throw openFailure(db.filename, e);
  }
  const first = rows[0]?.quick_check ?? "no answer";
  if (first !== "ok") throw corruptError(db.filename, first);
};

/** Applies the missing migrations in one immediate transaction; a second process waits, then finds none. */
const migrate = (db: Database, migrations: readonly Migration[], path: string): void => {
  writeTx(db, () => {
    db.run(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    );
    const current = readVersion(db, path);
    const latest = migrations.at(-1)?.version ?? 0;
    if (current > latest) return; // another, newer process won the race; refused on next open
    for (const m of migrations) {
      if (m.version <= current) continue;
      runMigration(db, m);
      db.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", [
        m.version,
        m.name,
        Date.now(),
      ]);
      db.run(`PRAGMA user_version = ${m.version}`);
    }
  });
};

/** Versions recorded as applied, oldest first. */
export const appliedMigrations = (db: Database): { version: number; name: string; applied_at: number }[] =>
  db
    .query<{ version: number; name: string; applied_at: number }, []>(
      "SELECT version, name, applied_at FROM schema_migrations ORDER BY version",
    )
    .all();

export { latestVersion };
