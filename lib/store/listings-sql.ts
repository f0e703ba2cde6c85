import type { Database, Statement } from "bun:sqlite";
import { z } from "zod";
import { envError } from "../errors.ts";
import { fileKey } from "../schema/change-paths.ts";
import { issuePath } from "../schema/json.ts";
import { HELD } from "./ddl/queue.ts";
import { logIdAtTime } from "./queue/log-time.ts";
import { ChangeRow, DeadLetterRow, LogRow } from "./queue/rows.ts";

/*
 * Read-only queries behind the operator's listings (`hyperion list`, `dead-letters`, `history`,
 * `logs`, `file-mods`). A query is built per combination of filters rather than with
 * `(? IS NULL OR col = ?)`, which SQLite cannot serve from an index. Filters that the hot path
 * never moves are indexed (request, held statuses, event level and change, dead letters, file
 * modifications); the rest read change_queue newest first by seq, and stop at the limit: the
 * queue keeps no index that every lease and completion would have to rewrite, and archival keeps
 * the table short. Built statements are cached per connection.
 */

const int = z.number().int();

/** A change_queue row as listings show it: everything but the payload and its signature. */
export const ChangeListRow = ChangeRow.omit({ payload: true, signature: true, ready: true });
export type ChangeListRow = z.infer<typeof ChangeListRow>;

/** A dead letter with the change it belongs to (null when that change was archived). */
export const DeadLetterListRow = DeadLetterRow.extend({
  task_id: z.string().nullable(),
  request_id: z.string().nullable(),
  agent: z.string().nullable(),
  summary: z.string().nullable(),
});
export type DeadLetterListRow = z.infer<typeof DeadLetterListRow>;

/** A task request without its payloads (the filed request, brief and answers can be large). */
export const RequestListRow = z.object({
  id: z.string(),
  title: z.string(),
  kind: z.string().nullable(),
  risk: z.string().nullable(),
  status: z.string(),
  priority: int,
  agent: z.string().nullable(),
  fallback: int,
  fallback_reason: z.string().nullable(),
  error: z.string().nullable(),
  created_at: int,
  updated_at: int,
  tasks: int,
});
export type RequestListRow = z.infer<typeof RequestListRow>;

export const FileModListRow = z.object({
  id: int,
  path: z.string(),
  kind: z.string(),
  /** A rename's target, on the row of its old path (the target's own row has kind rename_target). */
  new_path: z.string().nullable(),
  change_id: z.string().nullable(),
  source: z.string(),
  ts: int,
});
export type FileModListRow = z.infer<typeof FileModListRow>;

export type ChangeQuery = {
  status?: string;
  agent?: string;
  request?: string;
  since?: number;
  limit: number;
};
export type DeadLetterQuery = { agent?: string; request?: string; since?: number; limit: number };
export type RequestQuery = {
  status?: string;
  agent?: string;
  request?: string;
  since?: number;
  limit: number;
};
/** `sinceId`: the first event id at or after `since` (the log has no time index; see log-time.ts). */
export type LogQuery = {
  change?: string;
  levels?: string[];
  since?: number;
  sinceId?: number;
  /** `logsAfter`: only events after this id (a shipper's cursor; default 0, from the start). */
  afterId?: number;
  limit: number;
};
/** `path` matches exactly; `pathPrefix` (ending in '/') matches a directory's files. */
export type FileModQuery = {
  change?: string;
  path?: string;
  pathPrefix?: string;
  agent?: string;
  request?: string;
  since?: number;
  limit: number;
};

type Bind = Record<string, string | number>;
type Clause = [sql: string, bind: Bind] | null;

/** Binds one optional filter; an absent value leaves the clause out entirely. */
const eq = (col: string, name: string, v: string | number | undefined): Clause =>
  v === undefined ? null : [`${col} = $${name}`, { [name]: v }];
const gte = (col: string, name: string, v: number | undefined): Clause =>
  v === undefined ? null : [`${col} >= $${name}`, { [name]: v }];

const where = (clauses: Clause[]): { sql: string; bind: Bind } => {
  const on = clauses.filter((c): c is [string, Bind] => c !== null);
  return {
    sql: on.length ? `WHERE ${on.map((c) => c[0]).join(" AND ")}` : "",
    bind: Object.assign({}, ...on.map((c) => c[1])),
  };
};

const HELD_STATUSES = ["leased", "awaiting_approval"];

/**
 * A request's status as shown, for a task_requests row aliased `r`: an `enqueued` request follows
 * its changes (derived when read, so no write path has to remember it): enqueued while any is
 * open, applied when all are, partially_applied when some are, rolled_back when none stays
 * applied but some was rolled back, failed when all ended dead or rejected, archived when its
 * changes have all moved to an archive file. Only live changes count: once some of a request's
 * finished changes are archived, the status follows the rest. Other stored statuses
 * (needs_clarification, no_changes) stand as they are.
 */
export const REQUEST_STATUS_SQL = `CASE WHEN r.status <> 'enqueued' THEN r.status ELSE (
  SELECT CASE
    WHEN count(*) = 0 THEN CASE WHEN EXISTS (
      SELECT 1 FROM tasks t WHERE t.request_id = r.id AND t.change_id IS NOT NULL) THEN 'archived' ELSE 'enqueued' END
    WHEN sum(q.status IN ('queued', 'leased', 'awaiting_approval')) > 0 THEN 'enqueued'
    WHEN sum(q.status = 'applied') = count(*) THEN 'applied'
    WHEN sum(q.status = 'applied') > 0 THEN 'partially_applied'
    WHEN sum(q.status = 'rolled_back') > 0 THEN 'rolled_back'
    ELSE 'failed' END
  FROM change_queue q WHERE q.request_id = r.id) END`;

/** `history --status`: a derived status keeps the stored status's index for `enqueued` rows. */
const requestStatus = (v: string | undefined): Clause => {
  if (v === undefined) return null;
  if (v === "needs_clarification" || v === "no_changes") return ["r.status = $status", { status: v }];
  return [`r.status = 'enqueued' AND (${REQUEST_STATUS_SQL}) = $status`, { status: v }];
};

/** `--status`; a held status repeats the condition of its partial index, so SQLite uses it. */
const status = (v: string | undefined): Clause =>
  v === undefined
    ? null
    : [`status = $status${HELD_STATUSES.includes(v) ? ` AND ${HELD}` : ""}`, { status: v }];

const CHANGE_COLS = Object.keys(ChangeListRow.shape).join(", ");

type Built = { sql: string; bind: Bind };

/** The SQL of each listing for one set of filters (exported so tests can check its query plan). */
/** A level filter. 'info' events are most of the log and kept out of the level index: say so
 * when the filter leaves them out, so SQLite uses that partial index. */
const levelsClause = (levels: string[] | undefined): Clause =>
  levels?.length
    ? [
        `level IN (${levels.map((_, i) => `$level${i}`).join(", ")})${levels.includes("info") ? "" : " AND level <> 'info'"}`,
        Object.fromEntries(levels.map((l, i) => [`level${i}`, l])),
      ]
    : null;

export const listingQueries = {
  changes: (q: ChangeQuery): Built => {
    const w = where([
      status(q.status),
      eq("agent", "agent", q.agent),
      eq("request_id", "request", q.request),
      gte("updated_at", "since", q.since),
    ]);
    return {
      sql: `SELECT ${CHANGE_COLS} FROM change_queue ${w.sql} ORDER BY seq DESC LIMIT $limit`,
      bind: { ...w.bind, limit: q.limit },
    };
  },
  deadLetters: (q: DeadLetterQuery): Built => {
    const w = where([
      gte("d.dead_at", "since", q.since),
      // Per dead letter, newest first: agent has no index (it would cost every enqueue a page).
      q.agent === undefined
        ? null
        : [
            "EXISTS (SELECT 1 FROM change_queue a WHERE a.id = d.change_id AND a.agent = $agent)",
            { agent: q.agent },
          ],
      eq("c.request_id", "request", q.request),
    ]);
    return {
      sql: `SELECT d.change_id, d.reason_code, d.message, d.last_error, d.attempts, d.dead_at,
          c.task_id, c.request_id, c.agent, c.summary
        FROM dead_letters d LEFT JOIN change_queue c ON c.id = d.change_id
        ${w.sql} ORDER BY d.dead_at DESC, d.change_id LIMIT $limit`,
      bind: { ...w.bind, limit: q.limit },
    };
  },
  requests: (q: RequestQuery): Built => {
    const w = where([
      requestStatus(q.status),
      eq("r.agent", "agent", q.agent),
      eq("r.id", "request", q.request),
      gte("r.created_at", "since", q.since),
    ]);
    return {
      sql: `SELECT r.id, r.title, r.kind, r.risk, ${REQUEST_STATUS_SQL} AS status, r.priority, r.agent, r.fallback,
          r.fallback_reason, r.error, r.created_at, r.updated_at,
          (SELECT count(*) FROM tasks t WHERE t.request_id = r.id) AS tasks
        FROM task_requests r ${w.sql} ORDER BY r.created_at DESC, r.id DESC LIMIT $limit`,
      bind: { ...w.bind, limit: q.limit },
    };
  },
  logs: (q: LogQuery): Built => {
    const w = where([
      eq("change_id", "change", q.change),
      levelsClause(q.levels),
      gte("id", "since_id", q.sinceId),
    ]);
    // Ids grow with time, so newest first is by id: the rowid b-tree read backwards.
    return {
      sql: `SELECT id, change_id, ts, level, event, worker, data FROM change_queue_logs
        ${w.sql} ORDER BY id DESC LIMIT $limit`,
      bind: { ...w.bind, limit: q.limit },
    };
  },
  /** Events after a cursor, oldest first: what `logs --after`/`--follow` hands a shipper. */
  logsAfter: (q: LogQuery): Built => {
    const after: Clause = ["id > $after_id", { after_id: q.afterId ?? 0 }];
    const w = where([eq("change_id", "change", q.change), levelsClause(q.levels), after]);
    return {
      sql: `SELECT id, change_id, ts, level, event, worker, data FROM change_queue_logs
        ${w.sql} ORDER BY id LIMIT $limit`,
      bind: { ...w.bind, limit: q.limit },
    };
  },
  fileMods: (q: FileModQuery): Built => {
    const joined = q.agent !== undefined || q.request !== undefined;
    // Compared by file key, as the line compares paths: any spelling of the file or directory
    // matches. A directory is a range of keys, so the key index serves it ('0' sorts right after '/').
    const dir = q.pathPrefix === undefined ? undefined : `${fileKey(q.pathPrefix)}/`;
    const prefix: Clause =
      dir === undefined ? null : ["f.key >= $lo AND f.key < $hi", { lo: dir, hi: `${dir.slice(0, -1)}0` }];
    const w = where([
      eq("f.change_id", "change", q.change),
      eq("f.key", "key", q.path === undefined ? undefined : fileKey(q.path)),
      prefix,
      eq("c.agent", "agent", q.agent),
      eq("c.request_id", "request", q.request),
      gte("f.ts", "since", q.since),
    ]);
    const join = joined ? "JOIN change_queue c ON c.id = f.change_id" : "";
    return {
      sql: `SELECT f.id, f.path, f.kind, f.new_path, f.change_id, f.source, f.ts FROM file_modifications f
        ${join} ${w.sql} ORDER BY f.ts DESC, f.id DESC LIMIT $limit`,
      bind: { ...w.bind, limit: q.limit },
    };
  },
};

/** Parses a row read back; a row edited on disk into another shape is named, not a stack trace. */
const parseRow = <S extends z.ZodType>(schema: S, table: string, raw: unknown): z.infer<S> => {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const row = raw as Record<string, unknown>;
  const key = row.seq ?? row.id ?? row.change_id;
  const issue = r.error.issues[0]!;
  throw envError(
    "E_DB_ROW",
    `${table} row ${String(key)}: ${issuePath(issue.path)}: ${issue.message}`,
    "the row was edited outside Hyperion; run `hyperion doctor`",
  );
};

/** The listings' statements on one connection. */
export const listingsSql = (db: Database) => {
  const cache = new Map<string, Statement>();
  const all = ({ sql, bind }: Built): unknown[] => {
    let st = cache.get(sql);
    if (!st) {
      st = db.query(sql);
      cache.set(sql, st);
    }
    return st.all(bind as never);
  };
  const logIdAt = logIdAtTime(db);
  const heldEvent = db.query<{ data: string }, [string]>(
    "SELECT data FROM change_queue_logs WHERE change_id = ? AND event = 'held_for_approval' ORDER BY id DESC LIMIT 1",
  );
  const countsOf = db.query<{ status: string; n: number }, [string]>(
    "SELECT status, count(*) AS n FROM change_queue WHERE request_id = ? GROUP BY status",
  );

  return {
    /** Changes, newest first (by seq). */
    changes: (q: ChangeQuery): ChangeListRow[] =>
      all(listingQueries.changes(q)).map((r) => parseRow(ChangeListRow, "change_queue", r)),
    /** Dead letters, newest first. */
    deadLetters: (q: DeadLetterQuery): DeadLetterListRow[] =>
      all(listingQueries.deadLetters(q)).map((r) => parseRow(DeadLetterListRow, "dead_letters", r)),
    /** Task requests, newest first, with how many tasks each was cut into. */
    requests: (q: RequestQuery): RequestListRow[] =>
      all(listingQueries.requests(q)).map((r) => parseRow(RequestListRow, "task_requests", r)),
    /** The data of a change's latest `held_for_approval` event (its risk assessment), or null. */
    heldFor: (changeId: string): string | null => heldEvent.get(changeId)?.data ?? null,
    /** How many of a request's changes are in each status. */
    changeCounts: (requestId: string): Record<string, number> =>
      Object.fromEntries(countsOf.all(requestId).map((r) => [r.status, r.n])),
    /** The newest `limit` log events matching, returned oldest first (as a log reads). */
    logs: (q: LogQuery): LogRow[] =>
      all(listingQueries.logs({ ...q, sinceId: q.since === undefined ? undefined : logIdAt(q.since) }))
        .map((r) => parseRow(LogRow, "change_queue_logs", r))
        .reverse(),
    /** Log events after `afterId`, oldest first (a shipper's cursor). */
    logsAfter: (q: LogQuery): LogRow[] =>
      all(listingQueries.logsAfter(q)).map((r) => parseRow(LogRow, "change_queue_logs", r)),
    /** File modifications, newest first. */
    fileMods: (q: FileModQuery): FileModListRow[] =>
      all(listingQueries.fileMods(q)).map((r) => parseRow(FileModListRow, "file_modifications", r)),
  };
};
export type ListingsSql = ReturnType<typeof listingsSql>;
