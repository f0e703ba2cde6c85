import type { Database } from "bun:sqlite";

/*
 * change_queue_logs has no index on its time: every event would write one more page. Events
 * are appended in commit order under SQLite's single writer, each stamped with the writer's
 * clock, so time grows with the id and a time bound is found by bisecting the ids (a point read
 * of the rowid b-tree per step, ~17 for 100,000 events). Should the host clock step back, events
 * written just after the step sort by when they were written.
 */

/**
 * The log's first and last ids, as two subqueries: SQLite reads a lone min() or max() off one end
 * of the b-tree, but `min(id), max(id)` in one query scans the whole log (archival, which asks
 * once a batch, grew with the square of the log).
 */
export const LOG_BOUNDS =
  "SELECT (SELECT min(id) FROM change_queue_logs) AS lo, (SELECT max(id) FROM change_queue_logs) AS hi";

/** For one connection: the id of the first event at or after `ts` (one past the last when none). */
export const logIdAtTime = (db: Database): ((ts: number) => number) => {
  const bounds = db.query<{ lo: number | null; hi: number | null }, []>(LOG_BOUNDS);
  const at = db.query<{ id: number; ts: number }, [number]>(
    "SELECT id, ts FROM change_queue_logs WHERE id >= ? ORDER BY id LIMIT 1",
  );
  return (ts) => {
    const b = bounds.get();
    if (b?.lo == null || b.hi == null) return 1;
    let lo = b.lo;
    let hi = b.hi + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const r = at.get(mid);
      if (!r || r.id >= hi)
        hi = mid; // no event in [mid, hi): any bound in there is the same
      else if (r.ts >= ts) hi = r.id;
      else lo = r.id + 1;
    }
    return lo;
  };
};
