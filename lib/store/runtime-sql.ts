import type { Database } from "bun:sqlite";
import { z } from "zod";
import { fileKey } from "../schema/change-paths.ts";
import { HELD } from "./ddl/queue.ts";
import { writeTx } from "./write-tx.ts";

const OwnedRow = z.object({ owned_paths: z.string() });
const Paths = z.array(z.string());

// Kinds of file_modifications after which the path holds no file (apply's and rollback's).
const ABSENT_AFTER = new Set(["delete", "rename", "remove"]);

/** A dead letter as an alert hands it to the operator's command. */
export const DeadLetterAlert = z.object({
  change_id: z.string(),
  reason_code: z.string(),
  message: z.string(),
  attempts: z.number(),
  dead_at: z.number(),
});
export type DeadLetterAlert = z.infer<typeof DeadLetterAlert>;

/** Statements the runtime needs beyond the queue's and the apply engine's, prepared once per connection. */
export const runtimeSql = (db: Database) => {
  const owned = db.query<{ owned_paths: string }, [string]>("SELECT owned_paths FROM tasks WHERE id = ?");
  const taskChecks = db.query<{ checks: string | null }, [string]>(
    "SELECT payload ->> '$.checks' AS checks FROM tasks WHERE id = ?",
  );
  const external = db.query(
    "INSERT INTO file_modifications (path, kind, change_id, source, ts) VALUES (?, ?, NULL, 'external', ?)",
  );
  const lastOwn = db.query<
    { kind: string; sha256_before: string | null; sha256_after: string | null },
    [string, number]
  >(
    `SELECT kind, sha256_before, sha256_after FROM file_modifications WHERE path = ? AND source <> 'external'
     ORDER BY ts DESC, id DESC LIMIT ?`,
  );
  const recentApply = db.query<{ n: number }, [string, number]>(
    "SELECT count(*) AS n FROM file_modifications WHERE path = ? AND source = 'apply' AND ts >= ?",
  );
  // Dead letters no alert was claimed for: each dead letter (by its dead_at) alerts once.
  const unalerted = db.query<Record<string, unknown>, []>(
    `SELECT d.change_id, d.reason_code, d.message, d.attempts, d.dead_at FROM dead_letters d
     WHERE NOT EXISTS (SELECT 1 FROM change_queue_logs l WHERE l.change_id = d.change_id
       AND l.event = 'alert' AND l.data ->> 'dead_at' = d.dead_at)
     ORDER BY d.dead_at`,
  );
  const alertEvent = db.query(
    "INSERT INTO change_queue_logs (change_id, ts, level, event, data) VALUES (?, ?, 'info', 'alert', ?)",
  );
  const taskStatus = db.query<{ status: string }, [string]>("SELECT status FROM tasks WHERE id = ?");
  const changesOfTask = db.query<{ status: string; n: number }, [string]>(
    "SELECT status, count(*) AS n FROM change_queue WHERE task_id = ? GROUP BY status",
  );
  return {
    /** A task's planned status (null for an ad-hoc task id) and how many of its changes are in each status. */
    taskState: (taskId: string): { status: string | null; changes: Record<string, number> } => ({
      status: taskStatus.get(taskId)?.status ?? null,
      changes: Object.fromEntries(changesOfTask.all(taskId).map((r) => [r.status, r.n])),
    }),
    /** A planned task's quick checks (commands of the plan); none for an ad-hoc change. */
    taskChecks: (taskId: string): string[] => {
      const text = taskChecks.get(taskId)?.checks;
      return text ? z.array(z.string()).parse(JSON.parse(text)) : [];
    },
    /** The paths a planned task owns; null for an unknown task id (an operator's ad-hoc change). */
    taskOwnedPaths: (taskId: string): string[] | null => {
      const row = owned.get(taskId);
      return row ? Paths.parse(JSON.parse(OwnedRow.parse(row).owned_paths)) : null;
    },
    /** Whether an apply wrote this path since `since` (an agent turn's live-tree check leaves those out). */
    appliedSince: (path: string, since: number): boolean => (recentApply.get(path, since)?.n ?? 0) > 0,
    /**
     * Claims the dead letters no alert went out for yet, recording an `alert` event for each in the
     * same write: whoever claims a dead letter alerts it, once, whatever else is running.
     */
    claimAlerts: (now: number): DeadLetterAlert[] =>
      writeTx(db, () => {
        const rows = unalerted.all().map((r) => DeadLetterAlert.parse(r));
        for (const r of rows) alertEvent.run(r.change_id, now, JSON.stringify({ dead_at: r.dead_at }));
        return rows;
      }),
    /** Records an edit made outside Hyperion. */
    recordExternal: (path: string, kind: string, ts: number) =>
      writeTx(db, () => void external.run(path, kind, ts)),
    /**
     * What Hyperion's own last `n` writes (applies and rollbacks) left at this path, newest
     * first: the content's sha256, or null where one left no file there. Empty when Hyperion
     * never wrote it.
     */
    lastOwnWrites: (path: string, n = 1): (string | null)[] =>
      lastOwn.all(path, n).map((row) => (ABSENT_AFTER.has(row.kind) ? null : row.sha256_after)),
    /** What the newest of Hyperion's writes of this path found there (its intent's "before"). */
    lastOwnBefore: (path: string): string | null => lastOwn.get(path, 1)?.sha256_before ?? null,
  };
};

const ActiveCounts = z.object({ in_line: z.number(), leased: z.number(), awaiting_approval: z.number() });

/** Statements for progress and tree watching, prepared once per connection. */
export const progressSql = (db: Database) => {
  // A held change that holds its place in line (changes stacked on it wait behind it).
  const PLACED = `EXISTS (SELECT 1 FROM change_paths p JOIN path_line l ON l.key = p.key AND l.seq = p.seq WHERE p.seq = c.seq)`;
  // Read at each progress line: no scan of the queue. Leased and held changes are in
  // change_queue_held; every queued or leased change has its paths in path_line, and so has a
  // held change that holds its place.
  const active = db.query<Record<string, unknown>, []>(
    `SELECT (SELECT count(DISTINCT seq) FROM path_line)
         - (SELECT count(*) FROM change_queue c WHERE ${HELD} AND c.status = 'awaiting_approval' AND ${PLACED}) AS in_line,
       (SELECT count(*) FROM change_queue WHERE ${HELD} AND status = 'leased') AS leased,
       (SELECT count(*) FROM change_queue WHERE ${HELD} AND status = 'awaiting_approval') AS awaiting_approval`,
  );
  // Every queued or leased change has at least one path in line (a change request names one file
  // or more), so an empty path_line means nothing is queued or leased: one probe, however long the queue.
  // Or: what is left in line waits behind held changes (stacked on them): nothing is leased,
  // nothing is ready, and a held change holds a place in line.
  const lineEmpty = db.query<{ empty: number }, []>(
    `SELECT NOT EXISTS (SELECT 1 FROM path_line) OR (
       NOT EXISTS (SELECT 1 FROM change_queue WHERE ${HELD} AND status = 'leased')
       AND NOT EXISTS (SELECT 1 FROM change_queue WHERE ready = 1)
       AND EXISTS (SELECT 1 FROM change_queue c WHERE ${HELD} AND c.status = 'awaiting_approval' AND ${PLACED})
     ) AS empty`,
  );
  // A ready change is queued and first in line; one whose available_at is ahead waits out a retry's backoff.
  const nextDue = db.query<{ at: number | null }, []>(
    "SELECT min(available_at) AS at FROM change_queue WHERE ready = 1",
  );
  const leasedOnPath = db.query<{ n: number }, [string]>(
    "SELECT count(*) AS n FROM path_line l JOIN change_queue c ON c.seq = l.seq WHERE l.key = ? AND c.status = 'leased'",
  );
  const awaiting = db.query<{ id: string }, [number]>(
    `SELECT id FROM change_queue WHERE ${HELD} AND status = 'awaiting_approval' ORDER BY seq LIMIT ?`,
  );
  return {
    /** The oldest changes waiting for a person's approval. */
    awaitingIds: (limit: number): string[] => awaiting.all(limit).map((r) => r.id),
    /** How many changes are queued, leased and waiting for a person right now. */
    activeCounts: () => {
      const c = ActiveCounts.parse(active.get());
      return { queued: c.in_line - c.leased, leased: c.leased, awaiting_approval: c.awaiting_approval };
    },
    /** True when no change is queued or leased, or all that are wait behind held changes (when `run --until-empty` ends). */
    nothingInLine: (): boolean => lineEmpty.get()?.empty === 1,
    /** When the earliest change first in line comes due (epoch ms; past when one is due now), or null when none is. */
    nextDueAt: (): number | null => nextDue.get()?.at ?? null,
    /**
     * Whether a leased change touches this file, spelled as the watcher saw it or any way that
     * names the same file (its apply is Hyperion's, not an external edit).
     */
    leasedOnPath: (path: string): boolean => (leasedOnPath.get(fileKey(path))?.n ?? 0) > 0,
  };
};
