import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { countArchivable, openArchiveSession } from "../store/queue/archive.ts";
import type { QueueContext } from "./_context.ts";
import type { ArchiveResult } from "./types.ts";

export type ArchiveOptions = {
  /** Finished changes older than this move; default config.archive_after_ms. */
  olderThanMs?: number;
  /** Changes per transaction; default config.archive_batch. */
  batch?: number;
  /** Count what would move, move nothing. */
  dryRun?: boolean;
  /** Called after each batch with the changes it moved and how long it held the write lock (telemetry). */
  onBatch?: (changes: number, ms: number) => void;
};

/** How long one archive transaction should hold the write lock at most (the batch adapts). */
const BATCH_TARGET_MS = 200;
/** The least time the lock stays free between batches during a drain (SQLite's busy handler polls). */
const YIELD_MIN_MS = 5;

/**
 * Moves finished changes (applied, dead, rejected, rolled back) not updated within the TTL, with
 * their payloads, paths, dead letters, logs and apply records, and external edits older than the
 * TTL (file modifications no change made), to `<archiveDir>/changes-YYYY-MM.db`,
 * one short transaction per batch (at most about BATCH_TARGET_MS: the batch size adapts) so
 * workers wait at most one batch for the write lock; during a drain it also yields the lock
 * between batches, so archiving never starves the run (see YIELD_MIN_MS).
 */
export const makeArchive =
  (ctx: QueueContext) =>
  (opts: ArchiveOptions = {}): ArchiveResult => {
    const now = ctx.now();
    const cutoff = now - (opts.olderThanMs ?? ctx.config.archive_after_ms);
    const batch = Math.max(1, Math.trunc(opts.batch ?? ctx.config.archive_batch));
    const month = new Date(now).toISOString().slice(0, 7);
    const file = join(ctx.archiveDir, `changes-${month}.db`);
    const dryRun = opts.dryRun ?? false;
    if (dryRun) {
      const c = countArchivable(ctx.db, cutoff);
      return {
        moved: c.changes,
        logs: c.logs,
        modifications: c.modifications,
        batches: 0,
        file,
        reclaimed_bytes: 0,
        dry_run: true,
      };
    }
    mkdirSync(ctx.archiveDir, { recursive: true, mode: 0o700 });
    const session = openArchiveSession(ctx.db.filename, file, ctx.config.busy_give_up_ms);
    try {
      let moved = 0;
      let logs = 0;
      let modifications = 0;
      let batches = 0;
      let size = batch;
      for (;;) {
        const started = performance.now();
        const r = session.moveBatch(cutoff, size, ctx.now());
        const took = performance.now() - started;
        if (r.changes === 0 && r.logs === 0 && r.modifications === 0) break;
        opts.onBatch?.(r.changes, took);
        moved += r.changes;
        logs += r.logs;
        modifications += r.modifications;
        batches++;
        // Short transactions: halve the batch while one holds the lock too long, grow it back after.
        if (took > BATCH_TARGET_MS) size = Math.max(1, size >> 1);
        else if (took < BATCH_TARGET_MS / 4) size = Math.min(batch, size * 2);
        // Yield to workers: SQLite's lock is not fair and a waiter polls (sleeping 1 to 100 ms
        // between tries), so back-to-back batches would starve a drain until its busy timeout.
        // While one runs, the lock stays free after each batch at least as long as it was held:
        // a waiter's every try has an even chance or better, so a few tries always get in.
        if (ctx.sql.drainActive()) Bun.sleepSync(Math.max(YIELD_MIN_MS, took));
      }
      const reclaimed_bytes = batches > 0 ? session.reclaim() : 0;
      if (batches > 0)
        ctx.tx(() =>
          ctx.event(null, "archived", { moved, logs, modifications, batches, file, cutoff, reclaimed_bytes }),
        )();
      return { moved, logs, modifications, batches, file, reclaimed_bytes, dry_run: false };
    } finally {
      session.close();
    }
  };
