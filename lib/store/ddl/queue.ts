/** The merge queue: changes, the paths they touch, their event log, dead letters. */
import { CHANGE_STATUSES } from "./statuses.ts";

/*
 * Two derived columns keep the lease pick flat however long the queue grows:
 * - change_paths.state is 1 while the change is in line for the path (queued or leased), 0
 *   otherwise (finished, awaiting approval); the partial index change_paths_active answers
 *   "who is first in line on this path" in one probe. Only the first in line is ever leased.
 * - change_queue.ready is 1 when a queued change is first in line on every path it touches;
 *   the pick reads the head of the partial index change_queue_ready.
 * Triggers keep both true inside SQLite, whoever writes the status: a transition can only
 * change who is first in line on the change's own paths, so that is all they recompute.
 * A change that re-enters the line (retried, approved) gets a new seq first: it joins at the
 * back, and its change_paths rows follow it (ON UPDATE CASCADE).
 */

/** SQL: is change_queue row `seq` first in line on every path it touches? */
export const FIRST_IN_LINE = (seq: string) => `NOT EXISTS (
    SELECT 1 FROM change_paths p WHERE p.seq = ${seq} AND EXISTS (
      SELECT 1 FROM change_paths q WHERE q.path = p.path AND q.state > 0 AND q.seq < p.seq))`;

const IN_LINE = (s: string) => `${s} IN ('queued', 'leased')`;

/** The condition of the partial index change_queue_open; a query must repeat it to use the index. */
export const OPEN = "status IN ('queued', 'leased', 'awaiting_approval')";
/** The condition of the partial index change_queue_done (finished changes, for the listings). */
export const DONE = "status IN ('applied', 'dead', 'rejected', 'rolled_back')";
export const QUEUE_V1 = `
CREATE TABLE change_queue (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  task_id TEXT NOT NULL,
  request_id TEXT,
  agent TEXT,
  summary TEXT,
  status TEXT NOT NULL CHECK (status IN (${CHANGE_STATUSES})),
  priority INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  available_at INTEGER NOT NULL,
  leased_until INTEGER,
  lease_owner TEXT,
  lease_token INTEGER NOT NULL DEFAULT 0,
  ready INTEGER NOT NULL DEFAULT 0,
  payload TEXT NOT NULL,
  payload_sha256 TEXT NOT NULL,
  signature TEXT NOT NULL,
  risk TEXT NOT NULL DEFAULT 'low',
  risk_score REAL NOT NULL DEFAULT 0,
  needs_rebase INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  enqueued_at INTEGER NOT NULL,
  leased_at INTEGER,
  finished_at INTEGER,
  updated_at INTEGER NOT NULL
);
-- Open changes only: finished ones (most rows, over time) never move in or out of it.
CREATE INDEX change_queue_open ON change_queue(status) WHERE ${OPEN};
CREATE INDEX change_queue_ready ON change_queue(priority DESC, seq) WHERE ready = 1;
CREATE INDEX change_queue_task ON change_queue(task_id);
CREATE INDEX change_queue_request ON change_queue(request_id);
-- Operator listings (lib/store/listings-sql.ts): --since, --agent, and --status of a finished
-- change (an open status is served by change_queue_open). A change enters change_queue_done once,
-- when it finishes, so the lease path never writes to it.
CREATE INDEX change_queue_updated ON change_queue(updated_at);
CREATE INDEX change_queue_agent ON change_queue(agent);
CREATE INDEX change_queue_done ON change_queue(status, updated_at) WHERE ${DONE};

CREATE TABLE change_paths (
  seq INTEGER NOT NULL REFERENCES change_queue(seq) ON DELETE CASCADE ON UPDATE CASCADE,
  path TEXT NOT NULL,
  state INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (seq, path)
) WITHOUT ROWID;
CREATE INDEX change_paths_path ON change_paths(path, seq);
CREATE INDEX change_paths_active ON change_paths(path, seq) WHERE state > 0;

CREATE TRIGGER change_paths_joined AFTER INSERT ON change_paths WHEN NEW.state = 1
BEGIN
  UPDATE change_queue SET ready = (status = 'queued' AND ${FIRST_IN_LINE("change_queue.seq")})
  WHERE seq = NEW.seq;
END;

-- The invariant the pick relies on (only the first in line is ever leased) holds only if a change
-- that joins the line comes after every change already in line on its paths.
CREATE TRIGGER change_queue_join_at_back BEFORE UPDATE OF status ON change_queue
WHEN NOT (${IN_LINE("OLD.status")}) AND (${IN_LINE("NEW.status")})
BEGIN
  SELECT RAISE(ABORT, 'E_QUEUE_ORDER: a change joins the line at the back; give it a new seq first')
  WHERE EXISTS (
    SELECT 1 FROM change_paths p JOIN change_paths q ON q.path = p.path AND q.state > 0 AND q.seq > p.seq
    WHERE p.seq = NEW.seq);
END;

CREATE TRIGGER change_queue_line AFTER UPDATE OF status ON change_queue
WHEN (${IN_LINE("OLD.status")}) <> (${IN_LINE("NEW.status")})
BEGIN
  UPDATE change_paths SET state = (${IN_LINE("NEW.status")}) WHERE seq = NEW.seq;
  UPDATE change_queue SET ready = (status = 'queued' AND ${FIRST_IN_LINE("change_queue.seq")})
  WHERE seq = NEW.seq OR seq IN (
    SELECT (SELECT q.seq FROM change_paths q WHERE q.path = p.path AND q.state > 0 ORDER BY q.seq LIMIT 1)
    FROM change_paths p WHERE p.seq = NEW.seq);
END;

CREATE TRIGGER change_queue_requeued AFTER UPDATE OF status ON change_queue
WHEN OLD.status = 'leased' AND NEW.status = 'queued'
BEGIN
  UPDATE change_queue SET ready = ${FIRST_IN_LINE("change_queue.seq")} WHERE seq = NEW.seq;
END;

-- No AUTOINCREMENT: it would write sqlite_sequence on every event, and only the newest id could
-- ever be reused (the archive moves the oldest).
CREATE TABLE change_queue_logs (
  id INTEGER PRIMARY KEY,
  change_id TEXT,
  ts INTEGER NOT NULL,
  level TEXT NOT NULL DEFAULT 'info',
  event TEXT NOT NULL,
  worker TEXT,
  data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX change_queue_logs_change ON change_queue_logs(change_id, id);
CREATE INDEX change_queue_logs_ts ON change_queue_logs(ts);
CREATE INDEX change_queue_logs_level ON change_queue_logs(level, ts);

CREATE TABLE dead_letters (
  change_id TEXT PRIMARY KEY,
  reason_code TEXT NOT NULL,
  message TEXT NOT NULL,
  last_error TEXT,
  attempts INTEGER NOT NULL,
  dead_at INTEGER NOT NULL
);
CREATE INDEX dead_letters_dead_at ON dead_letters(dead_at);
`;
