import type { Database } from "bun:sqlite";
import { statSync } from "node:fs";
import { storageError } from "./db-errors.ts";
import { withWriteLock } from "./write-lock.ts";
import { isBusy, writeTx } from "./write-tx.ts";

const pragma = (db: Database, name: string): number =>
  Object.values(db.query(`PRAGMA ${name}`).get() as Record<string, number>)[0] ?? 0;

/** Bytes of the database file and its WAL. */
export const dbBytes = (path: string): number =>
  (statSync(path, { throwIfNoEntry: false })?.size ?? 0) +
  (statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0);

/** Pages freed per write transaction: a few ms each, so workers wait at most that long. */
const STEP_PAGES = 2_000;

/**
 * Gives the pages archival emptied back to the filesystem. A database made with
 * `auto_vacuum = INCREMENTAL` (every one since migration 5) frees them in short write
 * transactions of STEP_PAGES each, so workers keep their turns; an older one (auto_vacuum off)
 * is converted once with VACUUM when at least half of it is free, which also holds the write
 * lock for as long as copying its live pages takes (little, since archival just emptied it).
 * Then the WAL is checkpointed and truncated. Returns the bytes the file shrank by.
 */
export const reclaimSpace = (db: Database): number => {
  const path = db.filename;
  const before = dbBytes(path);
  const mode = pragma(db, "auto_vacuum");
  if (mode === 2) {
    while (pragma(db, "freelist_count") > 0)
      writeTx(db, () => db.query(`PRAGMA incremental_vacuum(${STEP_PAGES})`).all());
  } else if (pragma(db, "freelist_count") * 2 >= pragma(db, "page_count")) {
    vacuumInto(db);
  }
  withWriteLock(() => db.query("PRAGMA wal_checkpoint(TRUNCATE)").get());
  return Math.max(0, before - dbBytes(path));
};

/** VACUUM runs outside any transaction, so it waits for the lock here, as writeTx would. */
const vacuumInto = (db: Database): void => {
  const start = performance.now();
  withWriteLock(() => {
    for (;;) {
      try {
        db.run("PRAGMA auto_vacuum = INCREMENTAL");
        db.run("VACUUM");
        return;
      } catch (e) {
        if (!isBusy(e) || performance.now() - start > 30_000) throw storageError(db.filename, e);
        Bun.sleepSync(10);
      }
    }
  });
};
