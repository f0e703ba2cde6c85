import type { Database } from "bun:sqlite";
import { isBusy, type LockStats, writeTx } from "../write-tx.ts";

export { isBusy, type LockStats };

export type ImmediateOptions = {
  /** Give up (E_BUSY, retryable) after waiting this long in total. */
  busyGiveUpMs: number;
  /** Called on every SQLITE_BUSY retry with the retry count of this call (telemetry, tests). */
  onBusy?: (retries: number) => void;
};

/** `fn` as a function that runs it through writeTx (the one write path), recording its waits in `stats`. */
export const immediateTx =
  <A extends unknown[], R>(
    db: Database,
    fn: (...args: A) => R,
    stats: LockStats,
    opts: ImmediateOptions,
  ): ((...args: A) => R) =>
  (...args: A): R =>
    writeTx(db, () => fn(...args), { ...opts, stats });
