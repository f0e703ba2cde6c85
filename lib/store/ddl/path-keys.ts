import type { Database } from "bun:sqlite";
import { fileKey } from "../../schema/change-paths.ts";

/**
 * Fills temp table `name` with the file key of each path `select` returns, for a migration to
 * join: SQLite's lower() folds ASCII only, and it has no Unicode normalisation.
 */
export const tempPathKeys = (db: Database, name: string, select: string): void => {
  db.run(`CREATE TEMP TABLE ${name} (path TEXT PRIMARY KEY, key TEXT NOT NULL) WITHOUT ROWID`);
  const put = db.prepare(`INSERT INTO temp.${name} (path, key) VALUES (?, ?)`);
  for (const { path } of db.query<{ path: string }, []>(select).all()) put.run(path, fileKey(path));
  put.finalize();
};
