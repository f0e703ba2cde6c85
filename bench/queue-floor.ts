/**
 * The floor under Hyperion's queue: the rows it must keep (issue 4: the signed payload and its
 * hash, the change with its indexes, the paths it touches, its place in line, an event per
 * enqueue and per completion), written by plain prepared statements on Hyperion's own schema,
 * with none of the queue's logic around them. The distance from raw to this floor is what the
 * bookkeeping itself costs; the distance from this floor to Hyperion is what its code adds.
 */
import type { Database } from "bun:sqlite";
import { sha256Hex } from "../lib/patch/hash.ts";
import { signPayload } from "../lib/patch/sign.ts";
import { type ChangeRequest, fileKey } from "../lib/schema/index.ts";
import { openDatabase, repositoryId } from "../lib/store/index.ts";

export type Floor = {
  enqueueMany: (crs: ChangeRequest[]) => void;
  /** Leases the best ready change and completes it, in two transactions; false when none is left. */
  cycle: () => boolean;
  close: () => void;
};

const SECRET = new Uint8Array(32).fill(1);

export const openFloor = (path: string): Floor => {
  const db: Database = openDatabase(path, { create: true });
  const repository = repositoryId(db);
  const insPayload = db.prepare("INSERT INTO change_payloads (payload, signature) VALUES (?, ?)");
  const insChange = db.prepare(
    `INSERT INTO change_queue (id, task_id, request_id, agent, summary, status, priority, max_attempts,
       available_at, payload_id, payload_sha256, risk, risk_score, enqueued_at, updated_at, ready)
     VALUES (?1, ?2, ?3, ?4, ?5, 'queued', 0, 5, ?6, ?7, ?8, 'low', 0, ?6, ?6, 1)`,
  );
  const insPath = db.prepare("INSERT INTO change_paths (seq, key, path) VALUES (?, ?, ?)");
  const joinLine = db.prepare("INSERT INTO path_line (key, seq) VALUES (?, ?)");
  const insLog = db.prepare(
    "INSERT INTO change_queue_logs (change_id, ts, level, event, worker, data) VALUES (?, ?, 'info', ?, ?, ?)",
  );
  let n = 0;
  const enqueue = db.transaction((crs: ChangeRequest[]) => {
    const now = Date.now();
    for (const cr of crs) {
      const id = `floor-${process.pid}-${++n}`;
      const payload = JSON.stringify({ id, ...cr });
      const payloadId = insPayload.run(
        payload,
        signPayload(SECRET, { repository, id, payload }),
      ).lastInsertRowid;
      const seq = insChange.run(
        id,
        cr.task_id,
        cr.request_id ?? null,
        cr.agent ?? null,
        cr.summary ?? null,
        now,
        payloadId,
        sha256Hex(payload),
      ).lastInsertRowid;
      const paths = cr.changes.map((c) => c.path);
      for (const p of paths) {
        const key = fileKey(p);
        insPath.run(seq, key, p);
        joinLine.run(key, seq);
      }
      insLog.run(id, now, "enqueued", null, JSON.stringify({ seq, task_id: cr.task_id, paths }));
    }
  });
  // Every change is ready (the benchmark's paths are distinct), so the pick is the whole rule.
  const lease = db.prepare(
    `UPDATE change_queue SET status = 'leased', ready = 0, lease_owner = ?1, leased_until = ?2, leased_at = ?3,
       attempts = attempts + 1, lease_token = lease_token + 1, updated_at = ?3
     WHERE seq = (SELECT seq FROM change_queue WHERE ready = 1 AND available_at <= ?3 ORDER BY priority DESC, seq LIMIT 1)
     RETURNING seq, id, payload_id`,
  );
  const payloadOf = db.prepare("SELECT payload, signature FROM change_payloads WHERE payload_id = ?");
  // The schema's trigger takes the change out of line (path_line) as the status leaves 'leased'.
  const done = db.prepare(
    "UPDATE change_queue SET status = 'applied', leased_until = NULL, finished_at = ?1, updated_at = ?1 WHERE seq = ?2 AND status = 'leased'",
  );
  type Row = { seq: number; id: string; payload_id: number };
  const take = db.transaction((): Row | null => {
    const now = Date.now();
    const r = lease.get("floor", now + 30_000, now) as Row | null;
    if (r) payloadOf.get(r.payload_id);
    return r;
  });
  const complete = db.transaction((r: Row) => {
    const now = Date.now();
    done.run(now, r.seq);
    insLog.run(r.id, now, "applied", "floor", JSON.stringify({ dequeue_ms: 0, apply_ms: 0 }));
  });
  return {
    enqueueMany: (crs) => enqueue.immediate(crs),
    cycle: () => {
      const r = take.immediate();
      if (!r) return false;
      complete.immediate(r);
      return true;
    },
    close: () => db.close(),
  };
};
