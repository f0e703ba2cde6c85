import type { Database } from "bun:sqlite";
import { envError } from "../errors.ts";

const cache = new WeakMap<Database, string>();

/**
 * The repository's id, made once when its database was created (or upgraded): signatures name
 * it, so a payload signed for one repository never verifies in another that shares the key.
 */
export const repositoryId = (db: Database): string => {
  const known = cache.get(db);
  if (known !== undefined) return known;
  const row = db.query<{ id: unknown }, []>("SELECT id FROM repository WHERE one = 1").get();
  if (!row || typeof row.id !== "string" || !/^[0-9a-f]{32}$/.test(row.id)) {
    throw envError(
      "E_DB_CORRUPT",
      "the database holds no repository id",
      "the database was edited by hand; restore it from a backup",
    );
  }
  cache.set(db, row.id);
  return row.id;
};
