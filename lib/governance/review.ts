import type { Database } from "bun:sqlite";
import type { Queue } from "../queue/index.ts";
import { governanceSql } from "../store/governance-sql.ts";
import { writeTx } from "../store/write-tx.ts";

/** A person lets a held change into the queue; who and why are kept in `approvals`. */
export const approveChange = (db: Database, queue: Queue, id: string, actor: string, reason: string | null) =>
  writeTx(db, () => {
    queue.approve(id, actor);
    governanceSql(db).recordDecision(id, "approved", actor, reason, Date.now());
  });

/** A person ends a held (or still queued) change; it is never applied. */
export const rejectChange = (db: Database, queue: Queue, id: string, actor: string, reason: string) =>
  writeTx(db, () => {
    queue.reject(id, reason, actor);
    governanceSql(db).recordDecision(id, "rejected", actor, reason, Date.now());
  });
