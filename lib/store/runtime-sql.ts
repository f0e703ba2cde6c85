import type { Database } from "bun:sqlite";
import { z } from "zod";
import { HELD } from "./ddl/queue.ts";
import { writeTx } from "./write-tx.ts";

const OwnedRow = z.object({ owned_paths: z.string() });
const Paths = z.array(z.string());

/** Statements the runtime needs beyond the queue's and the apply engine's, prepared once per connection. */
export const runtimeSql = (db: Database) => {
  const owned = db.query<{ owned_paths: string }, [string]>("SELECT owned_paths FROM tasks WHERE id = ?");
  const external = db.query(
    "INSERT INTO file_modifications (path, kind, change_id, source, ts) VALUES (?, ?, NULL, 'external', ?)",
  );
  const recentApply = db.query<{ n: number }, [string, number]>(
    "SELECT count(*) AS n FROM file_modifications WHERE path = ? AND source = 'apply' AND ts >= ?",
  );
  return {
    /** The paths a planned task owns; null for an unknown task id (an operator's ad-hoc change). */
    taskOwnedPaths: (taskId: string): string[] | null => {
      const row = owned.get(taskId);
      return row ? Paths.parse(JSON.parse(OwnedRow.parse(row).owned_paths)) : null;
    },
    /** Records an edit made outside Hyperion. */
    recordExternal: (path: string, kind: string, ts: number) =>
      writeTx(db, () => void external.run(path, kind, ts)),
    /** Whether an apply wrote this path since `since` (so a watch event is Hyperion's own). */
    appliedSince: (path: string, since: number): boolean => (recentApply.get(path, since)?.n ?? 0) > 0,
  };
};

const ActiveCounts = z.object({ in_line: z.number(), leased: z.number(), awaiting_approval: z.number() });

/** Statements for progress and tree watching, prepared once per connection. */
export const progressSql = (db: Database) => {
  // Read at each progress line: no scan of the queue. Leased and held changes are in
  // change_queue_held; every queued or leased change has its paths in path_line.
  const active = db.query<Record<string, unknown>, []>(
    `SELECT (SELECT count(DISTINCT seq) FROM path_line) AS in_line,
       (SELECT count(*) FROM change_queue WHERE ${HELD} AND status = 'leased') AS leased,
       (SELECT count(*) FROM change_queue WHERE ${HELD} AND status = 'awaiting_approval') AS awaiting_approval`,
  );
  // Every queued or leased change has at least one path in line (a change request names one file
  // or more), so an empty path_line means nothing is queued or leased: one probe, however long the queue.
  const lineEmpty = db.query<{ empty: number }, []>("SELECT NOT EXISTS (SELECT 1 FROM path_line) AS empty");
  const leasedOnPath = db.query<{ n: number }, [string]>(
    "SELECT count(*) AS n FROM path_line l JOIN change_queue c ON c.seq = l.seq WHERE l.path = ? AND c.status = 'leased'",
  );
  return {
    /** How many changes are queued, leased and waiting for a person right now. */
    activeCounts: () => {
      const c = ActiveCounts.parse(active.get());
      return { queued: c.in_line - c.leased, leased: c.leased, awaiting_approval: c.awaiting_approval };
    },
    /** True when no change is queued or leased (what `run --until-empty` polls for). */
    nothingInLine: (): boolean => lineEmpty.get()?.empty === 1,
    /** Whether a leased change touches this path (its apply is Hyperion's, not an external edit). */
    leasedOnPath: (path: string): boolean => (leasedOnPath.get(path)?.n ?? 0) > 0,
  };
};
