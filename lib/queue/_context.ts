import type { Database } from "bun:sqlite";
import { dirname, join } from "node:path";
import { defaultConfig } from "../schema/config.ts";
import { repositoryId } from "../store/identity.ts";
import { immediateTx, type LockStats } from "../store/queue/busy.ts";
import { type QueueStatements, queueStatements } from "../store/queue/statements.ts";
import { setBusyGiveUp } from "../store/write-tx.ts";
import type { QueueConfig } from "./types.ts";

export type QueueOptions = {
  /** The repository's signing key (`.hyperion/secret`). */
  secret: Uint8Array;
  /** Overrides of the `queue` section of config.json. */
  config?: Partial<QueueConfig>;
  /** The clock, in epoch milliseconds; tests move it to expire leases. */
  now?: () => number;
  /**
   * A clock no step can move, in milliseconds, for how long this process has watched a lease
   * (see reclaim): default `performance.now`, or `now` when a test injects that.
   */
  monotonic?: () => number;
  /** Where archive databases go; default `archive/` beside the database (`.hyperion/archive`). */
  archiveDir?: string;
  /** Called on every SQLITE_BUSY retry (telemetry). */
  onBusy?: (retries: number) => void;
};

/** What every part of the queue shares: one connection, its statements, the clock, the config. */
export type QueueContext = {
  db: Database;
  sql: QueueStatements;
  now: () => number;
  /** See QueueOptions.monotonic. */
  monotonic: () => number;
  config: QueueConfig;
  secret: Uint8Array;
  /** The repository's id, which every signature binds. */
  repository: string;
  archiveDir: string;
  lock: LockStats;
  /** Wraps `fn` as one BEGIN IMMEDIATE transaction, retried on SQLITE_BUSY. */
  tx: <A extends unknown[], R>(fn: (...args: A) => R) => (...args: A) => R;
  /** Appends one event to change_queue_logs (inside the caller's transaction when there is one). */
  event: (
    changeId: string | null,
    event: string,
    data: object,
    level?: string,
    worker?: string | null,
  ) => void;
};

export const createContext = (db: Database, opts: QueueOptions): QueueContext => {
  const sql = queueStatements(db);
  const config: QueueConfig = { ...defaultConfig().queue, ...opts.config };
  const lock: LockStats = { busyRetries: 0, lockMs: 0, totalBusyRetries: 0 };
  const txOpts = { busyGiveUpMs: config.busy_give_up_ms, onBusy: opts.onBusy };
  const now = opts.now ?? Date.now;
  // Writes on this connection outside the queue (governance, requests) wait as long.
  setBusyGiveUp(db, config.busy_give_up_ms);
  return {
    db,
    sql,
    now,
    monotonic: opts.monotonic ?? opts.now ?? (() => performance.now()),
    config,
    secret: opts.secret,
    repository: repositoryId(db),
    archiveDir: opts.archiveDir ?? join(dirname(db.filename), "archive"),
    lock,
    tx: (fn) => immediateTx(db, fn, lock, txOpts),
    event: (changeId, event, data, level = "info", worker = null) =>
      sql.insertLog(changeId, now(), level, event, worker, JSON.stringify(data)),
  };
};
