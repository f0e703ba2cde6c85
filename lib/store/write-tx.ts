import type { Database } from "bun:sqlite";
import { HyperionError } from "../errors.ts";
import { readOnlyError, storageError } from "./db-errors.ts";
import { assertSameFile, readOnlyPath } from "./db-file.ts";
import { withWriteLock } from "./write-lock.ts";

/** How long a write retries a locked database before E_BUSY, unless config says otherwise (docs/QUEUE.md). */
export const DEFAULT_BUSY_GIVE_UP_MS = 30_000;

/** SQLITE_BUSY and friends: another connection holds the lock; trying again later succeeds. */
export const isBusy = (e: unknown): boolean => {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"));
};

/** What one write transaction cost in waiting: filled in by `writeTx`, read by telemetry. */
export type LockStats = { busyRetries: number; lockMs: number; totalBusyRetries: number };

export type WriteOptions = {
  /** Give up (E_BUSY, retryable) after waiting this long in total; default: the connection's setting. */
  busyGiveUpMs?: number;
  /** Called on every SQLITE_BUSY retry with the retry count of this call (telemetry, tests). */
  onBusy?: (retries: number) => void;
  /** Where this call's waiting is recorded. */
  stats?: LockStats;
};

const giveUp = new WeakMap<Database, number>();
/** Connections inside a transaction this module began: a nested write joins it. */
const ours = new WeakSet<Database>();

/** Sets how long writes on `db` retry a locked database (config `queue.busy_give_up_ms`). */
export const setBusyGiveUp = (db: Database, ms: number): void => {
  giveUp.set(db, Math.max(0, ms));
};

const deferred = () =>
  new HyperionError(
    "E_INTERNAL",
    "a write was attempted inside a deferred transaction (it would fail at once under contention)",
    { exitCode: 1, hint: "write through writeTx (lib/store/write-tx.ts), never db.transaction()" },
  );

/**
 * The one way to write: `fn` runs in BEGIN IMMEDIATE ... COMMIT under the process's write lock
 * (write-lock.ts), retried on SQLITE_BUSY with short jittered waits until `busy_give_up_ms`, then
 * E_BUSY. busy_timeout already waits inside SQLite; this catches what gets past it, so contention
 * never surfaces as a failure. A call inside another writeTx joins it. A call inside any other
 * transaction is refused: bun's `db.transaction(fn)()` is DEFERRED, and its first write meeting
 * another writer fails at once (SQLITE_BUSY_SNAPSHOT) instead of waiting. `fn` must be free of
 * side effects outside the database: it may run again. Storage faults (read-only, full, corrupt)
 * come out as their E_DB_* codes.
 */
export const writeTx = <T>(db: Database, fn: () => T, opts: WriteOptions = {}): T => {
  if (ours.has(db)) return fn();
  if (db.inTransaction) throw deferred();
  const readOnly = readOnlyPath(db);
  if (readOnly !== null) throw readOnlyError(readOnly);
  // Before the lock, so the stat (a few µs) is not spent while every other writer waits.
  assertSameFile(db);
  return withWriteLock(() => run(db, fn, opts));
};

const run = <T>(db: Database, fn: () => T, opts: WriteOptions): T => {
  const limit = opts.busyGiveUpMs ?? giveUp.get(db) ?? DEFAULT_BUSY_GIVE_UP_MS;
  const start = performance.now();
  let retries = 0;
  const again = () => {
    retries++;
    if (opts.stats) opts.stats.totalBusyRetries++;
    opts.onBusy?.(retries);
    if (performance.now() - start > limit) throw busyError(db, limit, retries);
    // 0.1 ms doubling to 16 ms, jittered so waiters do not wake in step.
    Bun.sleepSync(Math.min(16, 0.1 * 2 ** Math.min(retries, 8)) * (0.5 + Math.random()));
  };
  for (;;) {
    try {
      db.query("BEGIN IMMEDIATE").run();
    } catch (e) {
      if (!isBusy(e)) throw storageError(db.filename, e);
      again();
      continue;
    }
    ours.add(db);
    if (opts.stats) {
      opts.stats.lockMs = performance.now() - start;
      opts.stats.busyRetries = retries;
    }
    try {
      const out = fn();
      db.query("COMMIT").run();
      return out;
    } catch (e) {
      if (db.inTransaction) db.query("ROLLBACK").run();
      if (!isBusy(e)) throw storageError(db.filename, e);
      again();
    } finally {
      ours.delete(db);
    }
  }
};

const busyError = (db: Database, limit: number, retries: number) =>
  new HyperionError("E_BUSY", `the database ${db.filename} stayed locked for ${limit} ms`, {
    exitCode: 1,
    retryable: true,
    hint: "another process holds a long write lock (an archive, a backup, an open sqlite3 shell?); try again, or raise queue.busy_give_up_ms",
    details: { retries },
  });

/**
 * Reads under one snapshot (BEGIN ... COMMIT) with writes switched off (`PRAGMA query_only`), so a
 * write slipped into a read transaction fails instead of upgrading a deferred one. Inside a
 * writeTx it just runs `fn`.
 */
export const readTx = <T>(db: Database, fn: () => T): T => {
  if (db.inTransaction) return fn();
  db.query("PRAGMA query_only = 1").run();
  try {
    db.query("BEGIN").run();
    try {
      return fn();
    } catch (e) {
      if ((e as { code?: string }).code === "SQLITE_READONLY") throw deferred();
      throw e;
    } finally {
      if (db.inTransaction) db.query("COMMIT").run();
    }
  } finally {
    db.query("PRAGMA query_only = 0").run();
  }
};
