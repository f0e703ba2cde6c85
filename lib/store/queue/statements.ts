import type { Database } from "bun:sqlite";
import { FIRST_IN_LINE_V3, HELD } from "../ddl/queue.ts";
import { logIdAtTime } from "./log-time.ts";
import { CHANGE_COLUMNS, CHANGE_FROM, type ChangeStatus, type NewChangeRow } from "./rows.ts";

/**
 * A change_paths row: the change's seq, the file's key (lib/schema: fileKey; the line and every
 * lookup go by it), the path as the change spelled it (shown), what the change leaves there, the
 * change it is stacked on there.
 */
/** The newest open change on a file and what it leaves there. */
type Tip = { seq: number; result_sha256: string | null };

export type PathRow = [seq: number, key: string, path: string, result: string | null, after: string | null];

/** An open change that leaves a given file at a path. */
type Producer = { id: string; seq: number; status: ChangeStatus };

/** A row as SQLite hands it back, before lib/queue parses it. */
type Raw = Record<string, unknown>;

const FIRST = FIRST_IN_LINE_V3("change_queue.seq");

/**
 * Columns a lease hands the worker (everything but the bookkeeping it does not need); the payload
 * and its signature are read by payload_id after the UPDATE (see withPayload).
 */
const LEASED_COLUMNS =
  "seq, id, task_id, priority, attempts, max_attempts, lease_token, lease_owner, leased_until, payload_id, payload_sha256, risk, risk_score, needs_rebase, enqueued_at, available_at";

/** What a lease recorded of its own making, kept on the row until the lease ends. */
export type LeaseTelemetry = { lockMs: number; busyRetries: number; pollMs: number | null };

/** The columns a lease's facts are computed from (see leaseFacts in lib/queue). */
const LEASE_COLUMNS =
  "lease_owner, lease_token, attempts, leased_at, enqueued_at, available_at, lease_lock_ms, lease_busy_retries, lease_poll_ms";

const build = (db: Database) => {
  const p = db.prepare.bind(db);
  const NEW_CHANGE_COLUMNS = `id, task_id, request_id, agent, summary, status, priority, max_attempts,
    available_at, payload_id, payload_sha256, risk, risk_score, enqueued_at, updated_at, ready`;
  // Enqueue writes each table with one statement per chunk of rows, not one per row.
  const insertPayloads = chunkedInsert(db, "INSERT INTO change_payloads (payload, signature)", 2);
  const insertChanges = chunkedInsert(db, `INSERT INTO change_queue (${NEW_CHANGE_COLUMNS})`, 16);
  const insertPaths = chunkedInsert(
    db,
    "INSERT OR IGNORE INTO change_paths (seq, key, path, result_sha256, after_id)",
    5,
  );
  const joinLine = chunkedInsert(db, "INSERT OR IGNORE INTO path_line (key, seq)", 2);
  const insertResults = chunkedInsert(db, "INSERT OR IGNORE INTO change_results (seq, key, content)", 3);
  const insertLogs = chunkedInsert(
    db,
    "INSERT INTO change_queue_logs (change_id, ts, level, event, worker, data)",
    6,
  );
  const inLine = p("SELECT DISTINCT key FROM path_line WHERE key IN (SELECT value FROM json_each(?))");
  const idExists = p("SELECT 1 AS x FROM change_queue WHERE id = ?");
  const payloadOf = p("SELECT payload, signature FROM change_payloads WHERE payload_id = ?");
  /** A leased row with its signed payload. */
  const withPayload = (r: Raw): Raw => {
    const { payload, signature } = payloadOf.get(r.payload_id as number) as Raw;
    return { ...r, payload, signature };
  };
  const maybe = (r: Raw | null): Raw | null => (r ? withPayload(r) : null);
  const byId = p(`SELECT ${CHANGE_COLUMNS} FROM ${CHANGE_FROM} WHERE c.id = ?`);
  const leaseOf = p(`SELECT seq, id, status, max_attempts, ${LEASE_COLUMNS} FROM change_queue WHERE id = ?`);
  const pathsOfId = p(
    "SELECT p.path FROM change_paths p JOIN change_queue c ON c.seq = p.seq WHERE c.id = ? ORDER BY p.path",
  );
  // A new seq past every seq ever used (sqlite_sequence remembers archived ones too).
  const renumber = p(
    `UPDATE change_queue SET seq = max(
       coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'change_queue'), 0),
       (SELECT max(seq) FROM change_queue)) + 1
     WHERE id = ? RETURNING seq`,
  );
  const bumpSequence = p("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'change_queue'");
  const recompute = p(`UPDATE change_queue SET ready = (status = 'queued' AND ${FIRST}) WHERE seq = ?`);
  const pick = p(
    "SELECT seq FROM change_queue WHERE ready = 1 AND available_at <= ? ORDER BY priority DESC, seq LIMIT ?",
  );
  // ?1 owner, ?2 leased until, ?3 now, ?4 lock wait, ?5 busy retries, ?6 poll interval, ?7 seq or limit.
  // The lease's telemetry stays on the row (no event of its own: one more page per lease) and
  // goes into the event that ends the lease.
  const LEASE_SET = `status = 'leased', ready = 0, lease_owner = ?1, leased_until = ?2, leased_at = ?3,
       attempts = attempts + 1, lease_token = lease_token + 1, updated_at = ?3,
       lease_lock_ms = ?4, lease_busy_retries = ?5, lease_poll_ms = ?6`;
  const PICK_N = (limit: string) =>
    `SELECT seq FROM change_queue WHERE ready = 1 AND available_at <= ?3 ORDER BY priority DESC, seq LIMIT ${limit}`;
  // The first-in-line guard re-checks the rule from scratch, so exclusion holds even if the
  // ready flag were ever stale.
  const markLeased = p(
    `UPDATE change_queue SET ${LEASE_SET} WHERE seq = ?7 AND status = 'queued' AND ${FIRST} RETURNING ${LEASED_COLUMNS}`,
  );
  const leaseNext = p(
    `UPDATE change_queue SET ${LEASE_SET} WHERE seq = (${PICK_N("1")})
       AND status = 'queued' AND ${FIRST} RETURNING ${LEASED_COLUMNS}`,
  );
  // Batches: one statement for n changes, the per-row work done inside SQLite.
  const leaseMany = p(
    `UPDATE change_queue SET ${LEASE_SET} WHERE seq IN (${PICK_N("?7")}) AND status = 'queued' AND ${FIRST}
     RETURNING ${LEASED_COLUMNS}`,
  );
  // The changes next in line behind these (?1, seqs) on any of their paths, with, for each path
  // of such a change, the change right before it in line there (its status and owner): what a
  // worker needs to decide, in memory, which of them stand only behind changes it takes.
  const behind = p(
    `SELECT c.seq, c.status, c.available_at, a.seq AS before_seq, a.status AS before_status,
            a.lease_owner AS before_owner
     FROM (SELECT DISTINCT (SELECT min(l.seq) FROM path_line l WHERE l.key = b.key AND l.seq > b.seq) AS seq
           FROM change_paths b WHERE b.seq IN (SELECT value FROM json_each(?1))) n
       JOIN change_queue c ON c.seq = n.seq
       JOIN change_paths q ON q.seq = c.seq
       JOIN change_queue a ON a.seq = (SELECT max(h.seq) FROM path_line h WHERE h.key = q.key AND h.seq < q.seq)`,
  );
  // Leases these changes (?8, seqs) at once, each queued and standing in line only behind changes
  // this owner holds or takes in the same statement.
  const leaseSeqs = p(
    `UPDATE change_queue SET ${LEASE_SET} WHERE seq IN (SELECT value FROM json_each(?8)) AND status = 'queued'
       AND NOT EXISTS (
         SELECT 1 FROM change_paths q JOIN path_line h ON h.key = q.key AND h.seq < q.seq
           JOIN change_queue a ON a.seq = h.seq
         WHERE q.seq = change_queue.seq AND NOT (a.status = 'leased' AND a.lease_owner = ?1)
           AND h.seq NOT IN (SELECT value FROM json_each(?8)))
     RETURNING ${LEASED_COLUMNS}`,
  );
  const completeMany = p(
    `UPDATE change_queue SET status = 'applied', ready = 0, leased_until = NULL, finished_at = ?1, updated_at = ?1
     WHERE status = 'leased' AND seq IN (
       SELECT c.seq FROM json_each(?2) j JOIN change_queue c ON c.id = j.value ->> 0 AND c.lease_token = j.value ->> 1)
     RETURNING id, ${LEASE_COLUMNS}`,
  );
  const heartbeat = p(
    "UPDATE change_queue SET leased_until = ?, updated_at = ? WHERE id = ? AND lease_token = ? AND status = 'leased'",
  );
  const finishLease = p(
    `UPDATE change_queue SET status = ?, ready = 0, leased_until = NULL, finished_at = ?, last_error = ?, updated_at = ?
     WHERE id = ? AND lease_token = ? AND status = 'leased'
     RETURNING seq, id, max_attempts, ${LEASE_COLUMNS}`,
  );
  const requeueLease = p(
    `UPDATE change_queue SET status = 'queued', leased_until = NULL, lease_owner = NULL, available_at = ?,
       attempts = attempts + ?, last_error = coalesce(?, last_error), updated_at = ?
     WHERE id = ? AND lease_token = ? AND status = 'leased'
     RETURNING seq, id`,
  );
  // A drain is under way (or about to lease): archival then yields the write lock between batches.
  const drainActive = p(
    `SELECT EXISTS (SELECT 1 FROM change_queue WHERE ${HELD} AND status = 'leased')
         OR EXISTS (SELECT 1 FROM change_queue WHERE ready = 1) AS active`,
  );
  const leasedRows = p(
    `SELECT seq, id, leased_until, max_attempts, ${LEASE_COLUMNS} FROM change_queue WHERE ${HELD} AND status = 'leased'`,
  );
  const setStatus = p(
    `UPDATE change_queue SET status = ?, available_at = coalesce(?, available_at), attempts = coalesce(?, attempts),
       finished_at = ?, last_error = coalesce(?, last_error), updated_at = ?
     WHERE id = ? AND status = ? RETURNING seq`,
  );
  const insertDead = p(
    "INSERT OR REPLACE INTO dead_letters (change_id, reason_code, message, last_error, attempts, dead_at) VALUES (?, ?, ?, ?, ?, ?)",
  );
  const deleteDead = p("DELETE FROM dead_letters WHERE change_id = ?");
  const deadLetter = p("SELECT * FROM dead_letters WHERE change_id = ?");
  const deadLetters = p("SELECT * FROM dead_letters ORDER BY dead_at DESC LIMIT ?");
  // The newest open change on a file: the back of its line, or a newer change held for a person.
  const tipInLine = p(
    `SELECT x.seq, x.result_sha256 FROM path_line l JOIN change_paths x ON x.seq = l.seq AND x.key = l.key
     WHERE l.key = ? ORDER BY l.seq DESC LIMIT 1`,
  );
  const tipHeld = p(
    `SELECT x.seq, x.result_sha256 FROM change_queue c JOIN change_paths x ON x.seq = c.seq AND x.key = ?
     WHERE ${HELD} AND c.status = 'awaiting_approval' ORDER BY c.seq DESC LIMIT 1`,
  );
  const resultOf = p("SELECT content FROM change_results WHERE seq = ? AND key = ?");
  // In line (queued, leased): path_line; held for a person: the few held rows.
  const markNeedsRebase = p(
    `UPDATE change_queue SET needs_rebase = 1, updated_at = ?1
     WHERE seq IN (SELECT seq FROM path_line WHERE key = ?2)
        OR (${HELD} AND status = 'awaiting_approval'
            AND EXISTS (SELECT 1 FROM change_paths p WHERE p.seq = change_queue.seq AND p.key = ?2))`,
  );
  // The newest open change (in line, or held for a person) that leaves `sha` at `path`. In line:
  // read from the back of the path's line, so a stack's newest change (the usual match) is the
  // first row, however deep the stack.
  const producerInLine = p(
    `SELECT c.id, c.seq, c.status FROM path_line l JOIN change_paths x ON x.seq = l.seq AND x.key = l.key
       JOIN change_queue c ON c.seq = l.seq
     WHERE l.key = ?1 AND x.result_sha256 = ?2 AND c.id <> ?3 ORDER BY l.seq DESC LIMIT 1`,
  );
  const producerHeld = p(
    `SELECT c.id, c.seq, c.status FROM change_queue c JOIN change_paths x ON x.seq = c.seq AND x.key = ?1
     WHERE ${HELD} AND c.status = 'awaiting_approval' AND x.result_sha256 = ?2 AND c.id <> ?3
     ORDER BY c.seq DESC LIMIT 1`,
  );
  const placeInLine = p(
    "INSERT OR IGNORE INTO path_line (key, seq) SELECT key, seq FROM change_paths WHERE seq = ?",
  );
  const holdsPlace = p(
    "SELECT EXISTS (SELECT 1 FROM change_paths p JOIN path_line l ON l.key = p.key AND l.seq = p.seq WHERE p.seq = ?) AS held",
  );
  const heldPredecessors = p(
    `SELECT DISTINCT c.id FROM change_paths p JOIN change_queue c ON c.id = p.after_id
     WHERE p.seq = ? AND ${HELD} AND c.status = 'awaiting_approval'`,
  );
  const dependents = p(
    `SELECT DISTINCT c.id, c.seq, c.status, c.attempts FROM change_paths p JOIN change_queue c ON c.seq = p.seq
     WHERE p.after_id = ? AND c.status IN ('queued', 'awaiting_approval') ORDER BY c.seq`,
  );
  // A queued change behind a held change that holds its place in line on one of its paths.
  const heldAhead = p(
    `SELECT a.id FROM change_queue c JOIN change_paths p ON p.seq = c.seq
       JOIN path_line h ON h.key = p.key AND h.seq < p.seq JOIN change_queue a ON a.seq = h.seq
     WHERE c.id = ? AND c.status = 'queued' AND a.status = 'awaiting_approval' ORDER BY h.seq LIMIT 1`,
  );
  // Else the held change its stack rests on, through queued predecessors on other paths.
  const heldBelow = p(
    `WITH RECURSIVE below(seq, status) AS (
       SELECT seq, status FROM change_queue WHERE id = ?1 AND status = 'queued'
       UNION
       SELECT q.seq, q.status FROM below b JOIN change_paths p ON p.seq = b.seq
         JOIN change_queue q ON q.id = p.after_id
       WHERE b.status = 'queued' AND p.after_id IS NOT NULL)
     SELECT c.id FROM below b JOIN change_queue c ON c.seq = b.seq
     WHERE b.status = 'awaiting_approval' ORDER BY c.seq LIMIT 1`,
  );
  const insertLog = p(
    "INSERT INTO change_queue_logs (change_id, ts, level, event, worker, data) VALUES (?, ?, ?, ?, ?, ?)",
  );
  const logsOf = p("SELECT * FROM change_queue_logs WHERE change_id = ? ORDER BY id");
  const listAll = p(
    `SELECT ${CHANGE_COLUMNS} FROM ${CHANGE_FROM} WHERE c.updated_at >= ? ORDER BY c.seq DESC LIMIT ?`,
  );
  const listStatus = p(
    `SELECT ${CHANGE_COLUMNS} FROM ${CHANGE_FROM} WHERE c.status = ? AND c.updated_at >= ? ORDER BY c.seq DESC LIMIT ?`,
  );
  const depth = p("SELECT status, count(*) AS n FROM change_queue GROUP BY status");
  const readyCount = p("SELECT count(*) AS n FROM change_queue WHERE ready = 1");
  // The first queued in seq order: a scan from the oldest row, which archival keeps near.
  const oldestQueued = p(
    "SELECT enqueued_at AS t FROM change_queue WHERE status = 'queued' ORDER BY seq LIMIT 1",
  );
  const logIdAt = logIdAtTime(db);
  const eventsSince = p(
    `SELECT event, worker, ts, data FROM change_queue_logs WHERE id >= ?
       AND event IN ('applied', 'failed', 'dead', 'lease_expired', 'released', 'validation_batch')`,
  );

  return {
    /** Inserts changes in order (payloads, then rows), each with its `ready` flag; returns their seqs. */
    insertChanges: (rows: (NewChangeRow & { ready: 0 | 1 })[]): number[] => {
      const payloadIds = consecutive(
        insertPayloads,
        rows.map((r) => [r.payload, r.signature]),
      );
      return consecutive(
        insertChanges,
        rows.map((r, i) => [
          r.id,
          r.task_id,
          r.request_id,
          r.agent,
          r.summary,
          r.status,
          r.priority,
          r.max_attempts,
          r.available_at,
          payloadIds[i],
          r.payload_sha256,
          r.risk,
          r.risk_score,
          r.enqueued_at,
          r.updated_at,
          r.ready,
        ]),
      );
    },
    /**
     * Records which paths each change touches (with what it leaves there and the open change its
     * base there is the result of), and with `inLine` puts it in line for them.
     */
    insertPaths: (rows: PathRow[], inLine: boolean): void => {
      insertPaths(rows);
      if (inLine) joinLine(rows.map(([seq, key]) => [key, seq]));
    },
    /** The newest open change other than `self` that leaves `sha` at file `key`: a base's predecessor. */
    predecessor: (key: string, sha: string, self = ""): Producer | null => {
      const a = producerInLine.get(key, sha, self) as Producer | null;
      const b = producerHeld.get(key, sha, self) as Producer | null;
      return a && b ? (a.seq > b.seq ? a : b) : (a ?? b);
    },
    /** Puts a held change in line at its seq on every path it touches (it holds its place). */
    placeInLine: (seq: number): void => void placeInLine.run(seq),
    /** True when a (held) change has its place in line. */
    holdsPlace: (seq: number): boolean => (holdsPlace.get(seq) as { held: number }).held === 1,
    /** Ids of the changes awaiting approval that change `seq` was stacked on. */
    heldPredecessors: (seq: number): string[] =>
      (heldPredecessors.all(seq) as { id: string }[]).map((r) => r.id),
    /** Open (queued or held) changes stacked on change `id`, in queue order. */
    dependents: (id: string): { id: string; seq: number; status: ChangeStatus; attempts: number }[] =>
      dependents.all(id) as { id: string; seq: number; status: ChangeStatus; attempts: number }[],
    /** The held change a queued change waits for: one ahead of it in line, else the one its stack rests on; or null. */
    waitingFor: (id: string): string | null =>
      ((heldAhead.get(id) ?? heldBelow.get(id)) as { id: string } | null)?.id ?? null,
    /** Of these file keys, those some queued or leased change is in line for. */
    inLine: (keys: string[]): Set<string> =>
      new Set((inLine.all(JSON.stringify(keys)) as { key: string }[]).map((r) => r.key)),
    /** Appends events: [change_id, ts, level, event, worker, data]. */
    insertLogs: (rows: [string | null, number, string, string, string | null, string][]): void =>
      insertLogs(rows),
    /** True when a live change already has this id. */
    idExists: (id: string): boolean => idExists.get(id) !== null,
    /** The raw row of a change by id. */
    byId: (id: string): Raw | null => byId.get(id) as Raw | null,
    /** A change's status and the facts of its current (or last) lease. */
    leaseOf: (id: string): Raw | null => leaseOf.get(id) as Raw | null,
    /** Paths a change touches, by id, as it spelled them, sorted. */
    pathsOfId: (id: string): string[] => (pathsOfId.all(id) as { path: string }[]).map((r) => r.path),
    /** Moves a change to the back of every line: a new, highest seq; returns it. */
    renumber: (id: string): number => {
      const seq = (renumber.get(id) as { seq: number }).seq;
      bumpSequence.run(seq);
      return seq;
    },
    /** Recomputes change_queue.ready for one change (repairs a stale flag; triggers keep it otherwise). */
    recompute: (seq: number): void => void recompute.run(seq),
    /** Seqs of up to `limit` ready changes due by `now`, best first. */
    pick: (now: number, limit: number): number[] =>
      (pick.all(now, limit) as { seq: number }[]).map((r) => r.seq),
    /** Leases change `seq` if it is queued and first in line: attempts+1, a new fencing token. */
    markLeased: (seq: number, owner: string, until: number, now: number, t: LeaseTelemetry): Raw | null =>
      maybe(markLeased.get(owner, until, now, t.lockMs, t.busyRetries, t.pollMs, seq) as Raw | null),
    /** Picks and leases the best ready change in one statement; null when none (or a stale flag). */
    leaseNext: (owner: string, until: number, now: number, t: LeaseTelemetry): Raw | null =>
      maybe(leaseNext.get(owner, until, now, t.lockMs, t.busyRetries, t.pollMs) as Raw | null),
    /** Leases up to `limit` ready changes in one statement, in no particular order. */
    leaseMany: (owner: string, until: number, now: number, limit: number, t: LeaseTelemetry): Raw[] =>
      (leaseMany.all(owner, until, now, t.lockMs, t.busyRetries, t.pollMs, limit) as Raw[]).map(withPayload),
    /**
     * The changes next in line behind `seqs` on any of their paths: one row per path of each,
     * with the change right before it there (its seq, status and lease owner).
     */
    behind: (
      seqs: readonly number[],
    ): {
      seq: number;
      status: ChangeStatus;
      available_at: number;
      before_seq: number;
      before_status: ChangeStatus;
      before_owner: string | null;
    }[] => behind.all(JSON.stringify(seqs)) as never,
    /** Leases the changes `seqs` in one statement (see leaseSeqs); returns those it leased. */
    leaseSeqs: (
      owner: string,
      until: number,
      now: number,
      t: LeaseTelemetry,
      seqs: readonly number[],
    ): Raw[] =>
      (
        leaseSeqs.all(
          owner,
          until,
          now,
          t.lockMs,
          t.busyRetries,
          t.pollMs,
          null,
          JSON.stringify(seqs),
        ) as Raw[]
      ).map(withPayload),
    /** Marks the changes whose [id, token] still hold their lease applied; returns their rows. */
    completeMany: (items: [string, number][], now: number): Raw[] =>
      completeMany.all(now, JSON.stringify(items)) as Raw[],
    /** Extends a lease; false when the token is stale. */
    heartbeat: (id: string, token: number, until: number, now: number): boolean =>
      heartbeat.run(until, now, id, token).changes === 1,
    /** Ends a lease in a final status (applied, dead); null when the token is stale. */
    finishLease: (
      id: string,
      token: number,
      status: ChangeStatus,
      now: number,
      lastError: string | null,
    ): Raw | null => finishLease.get(status, now, lastError, now, id, token) as Raw | null,
    /** Puts a leased change back in the queue; false when the token is stale. */
    requeueLease: (
      id: string,
      token: number,
      availableAt: number,
      attemptsDelta: number,
      lastError: string | null,
      now: number,
    ): boolean => requeueLease.get(availableAt, attemptsDelta, lastError, now, id, token) !== null,
    /** Every leased change (few: one per busy worker). */
    leasedRows: (): Raw[] => leasedRows.all() as Raw[],
    drainActive: (): boolean => (drainActive.get() as { active: number }).active === 1,
    /** Moves a change from status `from` to `to`; returns its seq, or null when it was not in `from`. */
    setStatus: (
      id: string,
      from: ChangeStatus,
      to: ChangeStatus,
      now: number,
      o: { availableAt?: number; attempts?: number; finished?: boolean; lastError?: string } = {},
    ): number | null =>
      (
        setStatus.get(
          to,
          o.availableAt ?? null,
          o.attempts ?? null,
          o.finished ? now : null,
          o.lastError ?? null,
          now,
          id,
          from,
        ) as { seq: number } | null
      )?.seq ?? null,
    /** Records (or replaces) a change's dead letter. */
    insertDead: (
      id: string,
      code: string,
      message: string,
      lastError: string | null,
      attempts: number,
      at: number,
    ) => void insertDead.run(id, code, message, lastError, attempts, at),
    /** Removes a change's dead letter (it was retried). */
    deleteDead: (id: string): void => void deleteDead.run(id),
    /** One change's dead letter. */
    deadLetter: (id: string): Raw | null => deadLetter.get(id) as Raw | null,
    /** The newest dead letters. */
    deadLetters: (limit: number): Raw[] => deadLetters.all(limit) as Raw[],
    /** The newest open change on file `key` (in line, or held) and what it leaves there (null: no file). */
    tip: (key: string): Tip | null => {
      const a = tipInLine.get(key) as Tip | null;
      const b = tipHeld.get(key) as Tip | null;
      return a && b ? (a.seq > b.seq ? a : b) : (a ?? b);
    },
    /** What change `seq` leaves at file `key`, as stored at enqueue (lib/queue/results.ts), or null. */
    resultOf: (seq: number, key: string): string | Uint8Array | null =>
      (resultOf.get(seq, key) as { content: string | Uint8Array } | null)?.content ?? null,
    /** Stores what changes leave at files: [seq, key, content as lib/queue/results.ts packs it]. */
    insertResults: (rows: [seq: number, key: string, content: string | Uint8Array][]): void =>
      insertResults(rows),
    /** Flags every open change touching file `key` for rebase; returns how many. */
    markNeedsRebase: (key: string, now: number): number => markNeedsRebase.run(now, key).changes,
    /** Appends one event to change_queue_logs. */
    insertLog: (
      changeId: string | null,
      ts: number,
      level: string,
      event: string,
      worker: string | null,
      data: string,
    ) => void insertLog.run(changeId, ts, level, event, worker, data),
    /** A change's events, oldest first. */
    logsOf: (id: string): Raw[] => logsOf.all(id) as Raw[],
    /** Changes updated since `since`, newest first, optionally of one status. */
    list: (status: ChangeStatus | undefined, since: number, limit: number): Raw[] =>
      (status ? listStatus.all(status, since, limit) : listAll.all(since, limit)) as Raw[],
    /** Number of changes by status. */
    depth: (): { status: ChangeStatus; n: number }[] => depth.all() as { status: ChangeStatus; n: number }[],
    /** Number of changes first in line and free to lease (due or not). */
    readyCount: (): number => (readyCount.get() as { n: number }).n,
    /** When the oldest queued change was enqueued. */
    oldestQueued: (): number | null => (oldestQueued.get() as { t: number } | null)?.t ?? null,
    /** Telemetry events since `ts`. */
    eventsSince: (ts: number): { event: string; worker: string | null; ts: number; data: string }[] =>
      eventsSince.all(logIdAt(ts)) as { event: string; worker: string | null; ts: number; data: string }[],
  };
};

export type QueueStatements = ReturnType<typeof build>;

/** Rows per multi-row INSERT: far under SQLite's 32,766 bound parameters for our widest row. */
const CHUNK = 64;

/**
 * `INSERT ... VALUES (...), (...)` over many rows, CHUNK rows a statement (the statement of each
 * row count is prepared once). `onChunk` gets each statement's last rowid and its row count.
 */
const chunkedInsert = (db: Database, head: string, width: number) => {
  const bySize = new Map<number, ReturnType<Database["prepare"]>>();
  const row = `(${Array(width).fill("?").join(", ")})`;
  const statement = (n: number) => {
    let st = bySize.get(n);
    if (!st) {
      st = db.prepare(`${head} VALUES ${Array(n).fill(row).join(", ")}`);
      bySize.set(n, st);
    }
    return st;
  };
  return (rows: readonly (readonly unknown[])[], onChunk?: (lastRowid: number, n: number) => void): void => {
    for (let i = 0; i < rows.length; i += CHUNK) {
      const part = rows.slice(i, i + CHUNK);
      const out = statement(part.length).run(...(part.flat() as never[]));
      onChunk?.(Number(out.lastInsertRowid), part.length);
    }
  };
};

/**
 * Runs a chunked insert and returns the rowids of its rows, in order: one statement's rows get
 * consecutive rowids (AUTOINCREMENT: each is one more than the last, under the write lock).
 */
const consecutive = (
  insert: ReturnType<typeof chunkedInsert>,
  rows: readonly (readonly unknown[])[],
): number[] => {
  const ids: number[] = [];
  insert(rows, (last, n) => {
    for (let i = n - 1; i >= 0; i--) ids.push(last - i);
  });
  return ids;
};

const cache = new WeakMap<Database, QueueStatements>();

/** The queue's SQL for one connection, prepared once and reused for the connection's life. */
export const queueStatements = (db: Database): QueueStatements => {
  let s = cache.get(db);
  if (!s) {
    s = build(db);
    cache.set(db, s);
  }
  return s;
};
