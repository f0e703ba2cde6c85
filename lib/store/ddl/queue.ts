/** The merge queue: changes, the paths they touch, their event log, dead letters. */
import type { Database } from "bun:sqlite";
import { tempPathKeys } from "./path-keys.ts";
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
 * Version 2 (QUEUE_V2, below) keeps the line in a table of its own, path_line, instead.
 */

/** SQL (version 1): is change_queue row `seq` first in line on every path it touches? */
const FIRST_IN_LINE = (seq: string) => `NOT EXISTS (
    SELECT 1 FROM change_paths p WHERE p.seq = ${seq} AND EXISTS (
      SELECT 1 FROM change_paths q WHERE q.path = p.path AND q.state > 0 AND q.seq < p.seq))`;

const IN_LINE = (s: string) => `${s} IN ('queued', 'leased')`;

/** The condition of version 1's partial index change_queue_open (dropped in version 2). */
const OPEN = "status IN ('queued', 'leased', 'awaiting_approval')";
/** Finished statuses (version 1 indexed them as change_queue_done; version 2 does not). */
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

/** The statuses of the partial index change_queue_held; a query must repeat it to use the index. */
export const HELD = "status IN ('leased', 'awaiting_approval')";

/** SQL (version 2): is change_queue row `seq` first in line on every path it touches? */
export const FIRST_IN_LINE_V2 = (seq: string) => `NOT EXISTS (
    SELECT 1 FROM change_paths p WHERE p.seq = ${seq} AND EXISTS (
      SELECT 1 FROM path_line q WHERE q.path = p.path AND q.seq < p.seq))`;

/*
 * Version 2: fewer pages per transition. With WAL a commit costs one frame per b-tree page it
 * dirtied, and a lease + complete used to dirty about 14: every index a transition moves is a
 * page. So:
 * - who is in line on a path moves to its own table, path_line (path, seq), holding only the
 *   queued and leased changes: leaving the line is one delete there, and change_paths becomes a
 *   record written once at enqueue (its `state` column is no longer read);
 * - queued changes leave the status index (change_queue_held keeps leased and held ones, the
 *   few that reclaim and listings look for; queued ones are in change_queue_ready or a scan);
 * - the indexes that moved on every transition (updated_at, finished by status) or that no query
 *   used (task, the full path index) go, and so do agent's and the event log's time index (time
 *   grows with the event id: see store/queue/log-time.ts); listings of finished changes read the
 *   table newest first, which archival keeps short;
 * - the event log's level index keeps only what is not 'info' (warnings and errors), and a lease
 *   writes no event of its own: its telemetry waits on the row for the event that ends it;
 * - enqueue computes `ready` as it inserts (no trigger per path), and a change leaving the line
 *   only flips the next in line on its paths to ready (no rewrite of rows that stay as they are).
 */
export const QUEUE_V2 = `
-- No foreign key: a change is in line only while queued or leased, and the triggers below add
-- and remove its rows; a finished change (the only kind archival deletes) has none.
CREATE TABLE path_line (
  path TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (path, seq)
) WITHOUT ROWID;
INSERT INTO path_line (path, seq) SELECT path, seq FROM change_paths WHERE state > 0;

DROP TRIGGER change_paths_joined;
DROP TRIGGER change_queue_line;
DROP TRIGGER change_queue_join_at_back;
DROP TRIGGER change_queue_requeued;
DROP INDEX change_paths_active;
DROP INDEX change_paths_path;
DROP INDEX change_queue_open;
DROP INDEX change_queue_updated;
DROP INDEX change_queue_done;
DROP INDEX change_queue_task;
DROP INDEX change_queue_agent;
DROP INDEX change_queue_logs_level;
DROP INDEX change_queue_logs_ts;
CREATE INDEX change_queue_held ON change_queue(status) WHERE ${HELD};
-- What a lease measured of its own making (lock wait, busy retries, poll interval): kept on the
-- row and written into the event that ends the lease, rather than an event per lease.
ALTER TABLE change_queue ADD COLUMN lease_lock_ms REAL;
ALTER TABLE change_queue ADD COLUMN lease_busy_retries INTEGER;
ALTER TABLE change_queue ADD COLUMN lease_poll_ms INTEGER;
CREATE INDEX change_queue_logs_notable ON change_queue_logs(level, ts) WHERE level <> 'info';

CREATE TRIGGER change_queue_join_at_back BEFORE UPDATE OF status ON change_queue
WHEN NOT (${IN_LINE("OLD.status")}) AND (${IN_LINE("NEW.status")})
BEGIN
  SELECT RAISE(ABORT, 'E_QUEUE_ORDER: a change joins the line at the back; give it a new seq first')
  WHERE EXISTS (
    SELECT 1 FROM change_paths p JOIN path_line q ON q.path = p.path AND q.seq > p.seq
    WHERE p.seq = NEW.seq);
END;

CREATE TRIGGER change_queue_joined_line AFTER UPDATE OF status ON change_queue
WHEN NOT (${IN_LINE("OLD.status")}) AND (${IN_LINE("NEW.status")})
BEGIN
  INSERT OR IGNORE INTO path_line (path, seq) SELECT path, seq FROM change_paths WHERE seq = NEW.seq;
  UPDATE change_queue SET ready = (status = 'queued' AND ${FIRST_IN_LINE_V2("change_queue.seq")})
  WHERE seq = NEW.seq;
END;

CREATE TRIGGER change_queue_left_line AFTER UPDATE OF status ON change_queue
WHEN (${IN_LINE("OLD.status")}) AND NOT (${IN_LINE("NEW.status")})
BEGIN
  UPDATE change_queue SET ready = 0 WHERE seq = NEW.seq AND ready = 1;
  DELETE FROM path_line WHERE seq = NEW.seq AND path IN (SELECT path FROM change_paths WHERE seq = NEW.seq);
  UPDATE change_queue SET ready = 1
  WHERE seq IN (
    SELECT (SELECT q.seq FROM path_line q WHERE q.path = p.path ORDER BY q.seq LIMIT 1)
    FROM change_paths p WHERE p.seq = NEW.seq)
    AND status = 'queued' AND ready = 0 AND ${FIRST_IN_LINE_V2("change_queue.seq")};
END;

CREATE TRIGGER change_queue_requeued AFTER UPDATE OF status ON change_queue
WHEN OLD.status = 'leased' AND NEW.status = 'queued'
BEGIN
  UPDATE change_queue SET ready = ${FIRST_IN_LINE_V2("change_queue.seq")} WHERE seq = NEW.seq;
END;
`;

/*
 * Version 3: the signed payload in a table of its own, written once at enqueue. SQLite rewrites a
 * whole record on every UPDATE, and a payload of a few KB spills into overflow pages, so with
 * the payload on change_queue each lease and each completion rewrote it (a 6 KB payload made a
 * lease + complete several times dearer). change_queue keeps payload_sha256 (listings show it)
 * and points at its payload by payload_id. AUTOINCREMENT, as for seq: once archival has moved
 * every payload out, a plain rowid would start again from 1 and a new payload would take the id
 * of an archived one.
 */
export const QUEUE_V3 = `
CREATE TABLE change_payloads (
  payload_id INTEGER PRIMARY KEY AUTOINCREMENT,
  payload TEXT NOT NULL,
  signature TEXT NOT NULL
);
ALTER TABLE change_queue ADD COLUMN payload_id INTEGER;
INSERT INTO change_payloads (payload_id, payload, signature) SELECT seq, payload, signature FROM change_queue;
UPDATE change_queue SET payload_id = seq;
ALTER TABLE change_queue DROP COLUMN payload;
ALTER TABLE change_queue DROP COLUMN signature;
`;

/*
 * Version 4 (migration 8): stacked changes. A change whose base is an open change's result on a
 * path depends on it; enqueue records that on the change_paths row (`after_id`, the predecessor's
 * id: seqs change when a change re-enters the line) beside what the change leaves at the path
 * (`result_sha256`), which is what a later base is matched against. A change awaiting approval
 * that has a dependent holds a place in line (path_line rows while still held), so its
 * dependents wait behind it without being leased; approved, it re-enters the line at that place
 * (the join-at-back check skips paths where it holds one), and leaving for a final status frees
 * the place like a queued change leaving.
 */
export const QUEUE_V4 = `
ALTER TABLE change_paths ADD COLUMN result_sha256 TEXT;
ALTER TABLE change_paths ADD COLUMN after_id TEXT;
CREATE INDEX change_paths_after ON change_paths(after_id) WHERE after_id IS NOT NULL;

DROP TRIGGER change_queue_join_at_back;
CREATE TRIGGER change_queue_join_at_back BEFORE UPDATE OF status ON change_queue
WHEN NOT (${IN_LINE("OLD.status")}) AND (${IN_LINE("NEW.status")})
BEGIN
  SELECT RAISE(ABORT, 'E_QUEUE_ORDER: a change joins the line at the back; give it a new seq first')
  WHERE EXISTS (
    SELECT 1 FROM change_paths p JOIN path_line q ON q.path = p.path AND q.seq > p.seq
    WHERE p.seq = NEW.seq
      AND NOT EXISTS (SELECT 1 FROM path_line h WHERE h.path = p.path AND h.seq = p.seq));
END;

DROP TRIGGER change_queue_left_line;
CREATE TRIGGER change_queue_left_line AFTER UPDATE OF status ON change_queue
WHEN (${IN_LINE("OLD.status")} OR OLD.status = 'awaiting_approval') AND NOT (${IN_LINE("NEW.status")})
BEGIN
  UPDATE change_queue SET ready = 0 WHERE seq = NEW.seq AND ready = 1;
  DELETE FROM path_line WHERE seq = NEW.seq AND path IN (SELECT path FROM change_paths WHERE seq = NEW.seq);
  UPDATE change_queue SET ready = 1
  WHERE seq IN (
    SELECT (SELECT q.seq FROM path_line q WHERE q.path = p.path ORDER BY q.seq LIMIT 1)
    FROM change_paths p WHERE p.seq = NEW.seq)
    AND status = 'queued' AND ready = 0 AND ${FIRST_IN_LINE_V2("change_queue.seq")};
END;
`;

/** SQL (version 5): is change_queue row `seq` first in line for every file it touches? */
export const FIRST_IN_LINE_V3 = (seq: string) => `NOT EXISTS (
    SELECT 1 FROM change_paths p WHERE p.seq = ${seq} AND EXISTS (
      SELECT 1 FROM path_line q WHERE q.key = p.key AND q.seq < p.seq))`;

/** Makes ready the head of each line change `seq` is in, if queued and first in all its lines. */
const READY_HEADS = (seq: string) => `UPDATE change_queue SET ready = 1
  WHERE seq IN (
    SELECT (SELECT q.seq FROM path_line q WHERE q.key = p.key ORDER BY q.seq LIMIT 1)
    FROM change_paths p WHERE p.seq = ${seq})
    AND status = 'queued' AND ready = 0 AND ${FIRST_IN_LINE_V3("change_queue.seq")}`;

/**
 * Version 5 (migration 9): one line per file, not per spelling. Two changes on `Src/A.txt` and
 * `src/a.txt` (or an NFC and an NFD spelling) are one file on a case-insensitive, normalising file
 * system, so they wait in one line. change_paths keeps the path as the change spelled it (listings
 * show it) beside its file key (lib/schema/change-paths.ts: fileKey), and is keyed by (seq, key);
 * path_line holds keys, and every join between the two, and every lookup by path, goes by key.
 * SQLite cannot fold Unicode case, so keyPaths (below) computes the key of each stored path first.
 *
 * Lines that merge keep queue order (seq). A change leased when its lines merged may be behind a
 * queued one: the queued one is not ready while it is leased, and when it steps back into the
 * queue (retried, reclaimed) the head of each of its lines is made ready, as when it leaves.
 * A `state` column version 2 stopped reading is left behind.
 */
export const QUEUE_V5 = `
CREATE TABLE change_paths_keyed (
  seq INTEGER NOT NULL REFERENCES change_queue(seq) ON DELETE CASCADE ON UPDATE CASCADE,
  key TEXT NOT NULL,
  path TEXT NOT NULL,
  result_sha256 TEXT,
  after_id TEXT,
  PRIMARY KEY (seq, key)
) WITHOUT ROWID;
INSERT OR IGNORE INTO change_paths_keyed (seq, key, path, result_sha256, after_id)
  SELECT p.seq, k.key, p.path, p.result_sha256, p.after_id
  FROM change_paths p JOIN temp.path_keys k ON k.path = p.path ORDER BY p.seq, p.path;
CREATE TABLE path_line_keyed (
  key TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (key, seq)
) WITHOUT ROWID;
INSERT OR IGNORE INTO path_line_keyed (key, seq)
  SELECT k.key, l.seq FROM path_line l JOIN temp.path_keys k ON k.path = l.path;

DROP TRIGGER change_queue_join_at_back;
DROP TRIGGER change_queue_joined_line;
DROP TRIGGER change_queue_left_line;
DROP TRIGGER change_queue_requeued;
DROP TABLE change_paths;
DROP TABLE path_line;
DROP TABLE temp.path_keys;
ALTER TABLE change_paths_keyed RENAME TO change_paths;
ALTER TABLE path_line_keyed RENAME TO path_line;
CREATE INDEX change_paths_after ON change_paths(after_id) WHERE after_id IS NOT NULL;

CREATE TRIGGER change_queue_join_at_back BEFORE UPDATE OF status ON change_queue
WHEN NOT (${IN_LINE("OLD.status")}) AND (${IN_LINE("NEW.status")})
BEGIN
  SELECT RAISE(ABORT, 'E_QUEUE_ORDER: a change joins the line at the back; give it a new seq first')
  WHERE EXISTS (
    SELECT 1 FROM change_paths p JOIN path_line q ON q.key = p.key AND q.seq > p.seq
    WHERE p.seq = NEW.seq
      AND NOT EXISTS (SELECT 1 FROM path_line h WHERE h.key = p.key AND h.seq = p.seq));
END;

CREATE TRIGGER change_queue_joined_line AFTER UPDATE OF status ON change_queue
WHEN NOT (${IN_LINE("OLD.status")}) AND (${IN_LINE("NEW.status")})
BEGIN
  INSERT OR IGNORE INTO path_line (key, seq) SELECT key, seq FROM change_paths WHERE seq = NEW.seq;
  UPDATE change_queue SET ready = (status = 'queued' AND ${FIRST_IN_LINE_V3("change_queue.seq")})
  WHERE seq = NEW.seq;
END;

CREATE TRIGGER change_queue_left_line AFTER UPDATE OF status ON change_queue
WHEN (${IN_LINE("OLD.status")} OR OLD.status = 'awaiting_approval') AND NOT (${IN_LINE("NEW.status")})
BEGIN
  UPDATE change_queue SET ready = 0 WHERE seq = NEW.seq AND ready = 1;
  DELETE FROM path_line WHERE seq = NEW.seq AND key IN (SELECT key FROM change_paths WHERE seq = NEW.seq);
  ${READY_HEADS("NEW.seq")};
END;

CREATE TRIGGER change_queue_requeued AFTER UPDATE OF status ON change_queue
WHEN OLD.status = 'leased' AND NEW.status = 'queued'
BEGIN
  UPDATE change_queue SET ready = ${FIRST_IN_LINE_V3("change_queue.seq")} WHERE seq = NEW.seq;
  ${READY_HEADS("NEW.seq")};
END;

UPDATE change_queue SET ready = (status = 'queued' AND ${FIRST_IN_LINE_V3("change_queue.seq")}
  AND NOT EXISTS (
    SELECT 1 FROM change_paths p JOIN path_line l ON l.key = p.key AND l.seq <> p.seq
      JOIN change_queue o ON o.seq = l.seq
    WHERE p.seq = change_queue.seq AND o.status = 'leased'))
WHERE status = 'queued' OR ready = 1;
`;

/** Before QUEUE_V5: the file key of every path stored in change_paths and path_line, into temp.path_keys. */
export const keyPaths = (db: Database): void =>
  tempPathKeys(db, "path_keys", "SELECT path FROM change_paths UNION SELECT path FROM path_line");

/**
 * Version 6 (migration 11): what each change leaves at a file, kept while the change is open, so
 * a change stacked on it validates against that content without replaying every change ahead
 * (enqueue stays linear in stack depth, across separate calls too). Written by enqueue from what
 * validation computed (the text, or zstd of its bytes when longer; lib/queue/results.ts); a cache, never trusted at apply (apply checks
 * every hash against the signed payload). Dropped when the change finishes: from then on the
 * tree, or nothing, holds that content.
 */
export const QUEUE_V6 = `
CREATE TABLE change_results (
  seq INTEGER NOT NULL REFERENCES change_queue(seq) ON DELETE CASCADE ON UPDATE CASCADE,
  key TEXT NOT NULL,
  content BLOB NOT NULL,
  PRIMARY KEY (seq, key)
);
CREATE TRIGGER change_results_finished AFTER UPDATE OF status ON change_queue
WHEN NEW.${DONE}
BEGIN
  DELETE FROM change_results WHERE seq = NEW.seq;
END;
`;
