import type { Database } from "bun:sqlite";
import { HyperionError } from "../../errors.ts";
import { withWriteLock } from "../write-lock.ts";

/** SQLITE_BUSY and friends: another connection holds the lock; trying again later succeeds. */
export const isBusy = (e: unknown): boolean => {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"));
};

/** What one write transaction cost in waiting: filled in by `immediate`, read by telemetry. */
export type LockStats = { busyRetries: number; lockMs: number; totalBusyRetries: number };

export type ImmediateOptions = {
  /** Give up (E_BUSY, retryable) after waiting this long in total. */
  busyGiveUpMs: number;
  /** Called on every SQLITE_BUSY retry with the retry count of this call (telemetry, tests). */
  onBusy?: (retries: number) => void;
};

/**
 * Wraps `fn` in BEGIN IMMEDIATE ... COMMIT on `db`, retrying on SQLITE_BUSY with short
 * jittered waits: busy_timeout already waits inside SQLite, this catches what gets past it so
 * contention never surfaces as a change failure. Nested calls (a caller's own transaction)
 * run inline. `fn` must be free of side effects outside the database: it may run again.
 */
export const immediateTx = <A extends unknown[], R>(
  db: Database,
  fn: (...args: A) => R,
  stats: LockStats,
  opts: ImmediateOptions,
): ((...args: A) => R) => {
  const begin = db.prepare("BEGIN IMMEDIATE");
  const commit = db.prepare("COMMIT");
  const rollback = db.prepare("ROLLBACK");
  return (...args: A): R => {
    if (db.inTransaction) return fn(...args);
    return withWriteLock(() => run(args));
  };

  function run(args: A): R {
    const start = performance.now();
    let retries = 0;
    for (;;) {
      try {
        begin.run();
      } catch (e) {
        if (!isBusy(e)) throw e;
        retries = backoff(retries, start, opts, stats);
        continue;
      }
      stats.lockMs = performance.now() - start;
      stats.busyRetries = retries;
      try {
        const out = fn(...args);
        commit.run();
        return out;
      } catch (e) {
        if (db.inTransaction) rollback.run();
        if (!isBusy(e)) throw e;
        retries = backoff(retries, start, opts, stats);
      }
    }
  }
};

const backoff = (retries: number, start: number, opts: ImmediateOptions, stats: LockStats): number => {
  const n = retries + 1;
  stats.totalBusyRetries++;
  opts.onBusy?.(n);
  if (performance.now() - start > opts.busyGiveUpMs) {
    throw new HyperionError("E_BUSY", `the queue database stayed locked for ${opts.busyGiveUpMs} ms`, {
      exitCode: 1,
      retryable: true,
      hint: "another process holds a long write lock; try again",
      details: { retries: n },
    });
  }
  // 0.1 ms doubling to 16 ms, jittered so waiters do not wake in step.
  Bun.sleepSync(Math.min(16, 0.1 * 2 ** Math.min(n, 8)) * (0.5 + Math.random()));
  return n;
};
