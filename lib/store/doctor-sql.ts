import { Database } from "bun:sqlite";
import { readOnlyPath } from "./db-file.ts";
import { HELD } from "./ddl/queue.ts";
import { migrations, runMigration } from "./migrations.ts";
import { openFileReadOnly, writable } from "./open.ts";
import { headerSaysWal } from "./wal-index.ts";
import { writeTx } from "./write-tx.ts";

/*
 * What `hyperion doctor` reads and the few safe repairs it makes. Inspection never goes through
 * openDatabase: that would migrate and switch to WAL on open, repairing (and hiding) exactly
 * what the doctor is asked to report.
 */

/** Opens a database file as it is: no migrations, no pragma that writes. */
export const openForInspection = (path: string): Database => {
  // A file that cannot be written is inspected read-only, never reported as unreadable.
  const db = writable(path)
    ? new Database(path, { create: false, readwrite: true, strict: true })
    : openFileReadOnly(path);
  db.run("PRAGMA busy_timeout = 5000");
  return db;
};

export type SchemaObject = { name: string; table: string; sql: string };
export type ReferenceSchema = {
  version: number;
  tables: Map<string, string[]>;
  indexes: Map<string, SchemaObject>;
};

let reference: ReferenceSchema | undefined;

/** The schema the migrations build, read from a scratch in-memory database (computed once). */
export const referenceSchema = (): ReferenceSchema => {
  if (reference) return reference;
  const mem = new Database(":memory:");
  try {
    for (const m of migrations) runMigration(mem, m);
    reference = {
      version: migrations.at(-1)?.version ?? 0,
      tables: tableColumns(mem),
      indexes: indexObjects(mem),
    };
    return reference;
  } finally {
    mem.close();
  }
};

/** Tables (SQLite's own and the migration record excepted) and their columns. */
export const tableColumns = (db: Database): Map<string, string[]> => {
  const names = db
    .query<{ name: string }, []>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name",
    )
    .all();
  return new Map(
    names.map(({ name }) => [
      name,
      db
        .query<{ name: string }, []>(`SELECT name FROM pragma_table_info('${name.replaceAll("'", "''")}')`)
        .all()
        .map((c) => c.name),
    ]),
  );
};

/** Named indexes (not SQLite's automatic ones) with the SQL that creates them. */
export const indexObjects = (db: Database): Map<string, SchemaObject> =>
  new Map(
    db
      .query<SchemaObject, []>(
        "SELECT name, tbl_name AS \"table\", sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
      )
      .all()
      .map((o) => [o.name, o]),
  );

/** Pragmas and counts the doctor reports, each a read. */
export const doctorSql = (db: Database) => ({
  userVersion: (): number =>
    db.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version ?? 0,
  /** Versions recorded in schema_migrations; empty when the table is missing. */
  appliedVersions: (): number[] => {
    const has = db
      .query<{ n: number }, []>(
        "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
      )
      .get();
    if (!has?.n) return [];
    return db
      .query<{ version: number }, []>("SELECT version FROM schema_migrations ORDER BY version")
      .all()
      .map((r) => r.version);
  },
  journalMode: (): string => {
    const mode = db.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()?.journal_mode ?? "";
    // Read as immutable (a read-only directory), SQLite reports "delete": the header says what is stored.
    const ro = readOnlyPath(db);
    return mode !== "wal" && ro !== null && headerSaysWal(ro) ? "wal" : mode;
  },
  pageSize: (): number => db.query<{ page_size: number }, []>("PRAGMA page_size").get()?.page_size ?? 4096,
  /** `ok`, or SQLite's findings (at most `max`). quick_check skips the costlier index-content checks. */
  check: (full: boolean, max = 20): string[] =>
    db
      .query<Record<string, string>, []>(`PRAGMA ${full ? "integrity_check" : "quick_check"}(${max})`)
      .all()
      .map((r) => String(Object.values(r)[0])),
  /** Every leased change (one per busy worker: few). */
  leased: () =>
    db
      .query<{ id: string; lease_owner: string | null; leased_until: number | null }, []>(
        `SELECT id, lease_owner, leased_until FROM change_queue WHERE status = 'leased' AND ${HELD}`,
      )
      .all(),
  /** How many changes of an open status were last updated before `before`, and the oldest update. */
  stale: (status: string, before: number) =>
    db
      .query<{ n: number; oldest: number | null }, [string, number]>(
        `SELECT count(*) AS n, min(updated_at) AS oldest FROM change_queue WHERE status = ? AND updated_at < ?`,
      )
      .get(status, before) ?? { n: 0, oldest: null },
  /** Queued changes that were due before `before` and have not been leased since. */
  waiting: (before: number) =>
    db
      .query<{ n: number; oldest: number | null }, [number]>(
        `SELECT count(*) AS n, min(available_at) AS oldest FROM change_queue WHERE status = 'queued' AND available_at < ?`,
      )
      .get(before) ?? { n: 0, oldest: null },
});

/** The doctor's repairs: each safe to repeat, none touches a row's meaning. */
export const doctorFixes = (db: Database) => ({
  /** Recreates an index from the SQL the migrations use. */
  createIndex: (sql: string): void =>
    writeTx(db, () => void db.run(sql.replace(/^CREATE (UNIQUE )?INDEX /i, "CREATE $1INDEX IF NOT EXISTS "))),
  setWal: (): string =>
    db.query<{ journal_mode: string }, []>("PRAGMA journal_mode = WAL").get()?.journal_mode ?? "",
  /** Copies the WAL into the database and truncates it; `busy` is 1 when a reader kept it from finishing. */
  checkpoint: () =>
    db
      .query<{ busy: number; log: number; checkpointed: number }, []>("PRAGMA wal_checkpoint(TRUNCATE)")
      .get() ?? { busy: 1, log: -1, checkpointed: -1 },
});
