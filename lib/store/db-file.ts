import type { Database } from "bun:sqlite";
import { statSync } from "node:fs";
import { goneError, linkedError } from "./db-errors.ts";

/** The file a connection opened, by device and inode: its path may later name another file. */
type Identity = { path: string; dev: number; ino: number };
const opened = new WeakMap<Database, Identity>();

/** Remembers which file `db` opened (right after opening it). */
export const rememberFile = (db: Database, path: string): void => {
  const st = statSync(path, { throwIfNoEntry: false });
  if (st) opened.set(db, { path, dev: st.dev, ino: st.ino });
};

/** What the path of a database holds now, compared with the file a connection opened. */
export type FileState =
  | { state: "ok"; links: number }
  | { state: "deleted" }
  | { state: "replaced" }
  | { state: "linked"; links: number };

export const fileState = (id: Identity): FileState => {
  const st = statSync(id.path, { throwIfNoEntry: false });
  if (!st) return { state: "deleted" };
  if (st.dev !== id.dev || st.ino !== id.ino) return { state: "replaced" };
  // Each name of one inode has its own -wal and -shm: two processes on two names lose commits.
  if (st.nlink > 1) return { state: "linked", links: st.nlink };
  return { state: "ok", links: st.nlink };
};

/** The number of names the database file at `path` has (1 when healthy; 0 when absent). */
export const linkCount = (path: string): number => statSync(path, { throwIfNoEntry: false })?.nlink ?? 0;

/**
 * Refuses to write through `db` once its path no longer names the file it opened (deleted,
 * replaced by another file) or that file has another name: a write would land where no later
 * reader looks. Connections not opened by openDatabase are not checked.
 */
export const assertSameFile = (db: Database): void => {
  const id = opened.get(db);
  if (!id) return;
  const s = fileState(id);
  if (s.state === "deleted") throw goneError(id.path, "was deleted");
  if (s.state === "replaced") throw goneError(id.path, "was replaced by another file");
  if (s.state === "linked") throw linkedError(id.path, s.links);
};

const readOnly = new WeakMap<Database, string>();
/** Marks a connection opened read-only because its file or directory at `path` cannot be written. */
export const markReadOnly = (db: Database, path: string): void => {
  readOnly.set(db, path);
};
/** The path of a connection opened read-only (writes through it are E_DB_READONLY), else null. */
export const readOnlyPath = (db: Database): string | null => readOnly.get(db) ?? null;
