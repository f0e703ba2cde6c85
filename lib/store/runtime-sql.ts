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
    "INSERT INTO file_modifications (path, key, kind, change_id, source, ts) VALUES (?1, ?2, ?3, NULL, 'external', ?4)",
  );
  const recentApply = db.query<{ n: number }, [string, number]>(
    "SELECT count(*) AS n FROM file_modifications WHERE key = ? AND source = 'apply' AND ts >= ?",
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
    appliedSince: (path: string, since: number): boolean =>
      (recentApply.get(fileKey(path), since)?.n ?? 0) > 0,
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
      writeTx(db, () => void external.run(path, fileKey(path), kind, ts)),
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
  };
};

/** One of Hyperion's own writes of a path (an apply's or a rollback's), as the watcher judges by it. */
export type OwnWrite = {
  /** file_modifications id: later writes have higher ones. */
  id: number;
  /** The content's sha256 the write found there (its intent's "before"); null for no file. */
  before: string | null;
  /** The content's sha256 the write left there; null where it left no file. */
  after: string | null;
};

/** What the watcher knows of one path from the database: Hyperion's newest writes of it and whether one is in flight. */
export type PathFacts = { own: OwnWrite[]; leased: boolean };

/** How many of a path's newest own writes the watcher reads (two judge it, the rest catch writes made while it read). */
const OWN_WRITES = 4;

/** The tree watcher's statements, prepared once per connection: a handful per flush, however many paths. */
export const watchSql = (db: Database) => {
  const mark = db.query<{ id: number | null }, []>("SELECT max(id) AS id FROM file_modifications");
  const absent = [...ABSENT_AFTER].map((k) => `'${k}'`).join(", ");
  // Per path (in the order given) with its state read from disk: whether a leased change is in
  // line on it and what Hyperion's newest write of it left ('' for no file). A path with no lease
  // that holds just that is Hyperion's and ends here, in SQL (nearly every path of a drain); the
  // others come back with their newest own writes, newest first (one row of nulls when there are
  // none), to be judged. One statement reads one snapshot, so the writes and the lease agree.
  const facts = db.query<
    {
      path: string;
      leased: number;
      id: number | null;
      kind: string | null;
      before: string | null;
      after: string | null;
    },
    [string, number]
  >(
    `WITH p AS MATERIALIZED (
       SELECT j.key AS i, j.value ->> 0 AS path, j.value ->> 1 AS now, j.value ->> 2 AS key,
         EXISTS (SELECT 1 FROM path_line l JOIN change_queue c ON c.seq = l.seq
           WHERE l.key = j.value ->> 2 AND c.status = 'leased') AS leased,
         (SELECT CASE WHEN g.kind IN (${absent}) THEN '' ELSE g.sha256_after END FROM file_modifications g
           WHERE g.key = j.value ->> 2 AND g.source <> 'external' ORDER BY g.ts DESC, g.id DESC LIMIT 1) AS last
       FROM json_each(?1) j)
     SELECT p.path, p.leased, f.id, f.kind, f.sha256_before AS before, f.sha256_after AS after
     FROM p LEFT JOIN file_modifications f ON f.id IN (
       SELECT g.id FROM file_modifications g WHERE g.key = p.key AND g.source <> 'external'
       ORDER BY g.ts DESC, g.id DESC LIMIT ?2)
     WHERE p.leased = 1 OR p.last IS NOT coalesce(p.now, '')
     ORDER BY p.i, f.ts DESC, f.id DESC`,
  );
  return {
    /** The newest file_modifications id: any write recorded after this call has a higher one. */
    mark: (): number => mark.get()?.id ?? 0,
    /**
     * The facts of each path whose state (content sha256, null for no file) is not plainly
     * Hyperion's: a change is leased on it, or it holds something other than Hyperion's newest
     * write of it left. A path left out holds exactly that write's result, with no lease on it.
     */
    undecided: (
      states: ReadonlyArray<readonly [path: string, state: string | null]>,
    ): Map<string, PathFacts> => {
      const out = new Map<string, PathFacts>();
      // Each path with its line key: a lease under any spelling of the file counts.
      const keyed = states.map(([path, state]) => [path, state, fileKey(path)]);
      for (const r of facts.all(JSON.stringify(keyed), OWN_WRITES)) {
        const f = out.get(r.path) ?? { own: [], leased: r.leased === 1 };
        out.set(r.path, f);
        if (r.id !== null && r.kind !== null)
          f.own.push({ id: r.id, before: r.before, after: ABSENT_AFTER.has(r.kind) ? null : r.after });
      }
      return out;
    },
  };
};
