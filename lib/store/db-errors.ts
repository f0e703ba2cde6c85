import { HyperionError } from "../errors.ts";

const codeOf = (e: unknown): string => {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "";
};

/** The database (or its directory) cannot be written: reads still work, writes are refused. */
export const readOnlyError = (path: string, cause?: unknown) =>
  new HyperionError("E_DB_READONLY", `${path} is read-only: this command needs to write to it`, {
    exitCode: 1,
    hint: "make the database file and its directory (.hyperion/) writable; reads (list, logs, summary) still work",
    cause,
  });

/** The disk (or the filesystem's quota) is full: the write was rolled back whole. */
export const fullError = (path: string, cause?: unknown) =>
  new HyperionError("E_DB_FULL", `the disk holding ${path} is full; the write was rolled back`, {
    exitCode: 1,
    retryable: true,
    hint: "free some space (`hyperion archive` moves old rows out) and run the command again",
    cause,
  });

/** Damaged pages: the database is really broken (never said of a file that only cannot be written). */
export const corruptError = (path: string, cause: unknown) =>
  new HyperionError("E_DB_CORRUPT", `${path} is damaged: ${String(cause)}`, {
    exitCode: 1,
    hint: "copy it aside, then restore it from a backup or try `sqlite3 hyperion.db .recover`",
    cause,
  });

/** The database file this connection writes is no longer the one at its path. */
export const goneError = (path: string, what: string) =>
  new HyperionError("E_DB_GONE", `${path} ${what} while hyperion had it open; nothing more was written`, {
    exitCode: 1,
    hint: "put the database back at its path (or run `hyperion init` for a new one) and start again",
    details: { path },
  });

/** One database reached through two names: each name gets its own WAL, and commits are lost. */
export const linkedError = (path: string, links: number) =>
  new HyperionError("E_DB_LINKED", `${path} has ${links} hard links; writing through it could lose commits`, {
    exitCode: 1,
    hint: `keep one name: find the others with \`find / -xdev -samefile ${path}\` and remove them (or copy the file)`,
    details: { path, links },
  });

/**
 * A SQLite failure as the storage fault it is, with its own code; anything else is returned
 * untouched (constraint errors, Hyperion's own errors).
 */
export const storageError = (path: string, e: unknown): unknown => {
  const code = codeOf(e);
  if (code === "SQLITE_READONLY_DBMOVED") return goneError(path, "was moved or deleted");
  if (code.startsWith("SQLITE_READONLY")) return readOnlyError(path, e);
  if (code === "SQLITE_FULL" || (code === "SQLITE_IOERR_WRITE" && /ENOSPC|full/i.test(String(e))))
    return fullError(path, e);
  if (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB") return corruptError(path, e);
  return e;
};
