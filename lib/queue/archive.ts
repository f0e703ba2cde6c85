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
};

/**
 * Moves finished changes (applied, dead, rejected, rolled back) not updated within the TTL, with
 * their payloads, paths, dead letters, logs and apply records, and external edits older than the
 * TTL (file modifications no change made), to `<archiveDir>/changes-YYYY-MM.db`,
 * one short transaction per batch so workers wait at most one batch for the write lock.
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
      for (;;) {
        const r = session.moveBatch(cutoff, batch, ctx.now());
        if (r.changes === 0 && r.logs === 0 && r.modifications === 0) break;
        moved += r.changes;
        logs += r.logs;
        modifications += r.modifications;
        batches++;
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
