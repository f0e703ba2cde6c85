import type { Database } from "bun:sqlite";
import { sha256Hex } from "../patch/hash.ts";
import type { Queue } from "../queue/index.ts";
import { notFound } from "../queue/index.ts";
import { governanceSql } from "../store/governance-sql.ts";
import { writeTx } from "../store/write-tx.ts";

/** The hash of the payload as stored now (not the row's own sha column, which an edit could leave behind). */
const payloadSha = (db: Database, queue: Queue, id: string): string => {
  const change = queue.get(id);
  if (!change) throw notFound(db, id);
  return sha256Hex(change.payload);
};

/**
 * A person lets a held change into the queue; who, why and which payload they approved are kept
 * in `approvals`. The approval holds for that payload only: apply refuses any other
 * (E_APPROVAL_STALE), and `summary` does not call another payload approved.
 */
export const approveChange = (db: Database, queue: Queue, id: string, actor: string, reason: string | null) =>
  writeTx(db, () => {
    const sha = payloadSha(db, queue, id);
    queue.approve(id, actor);
    governanceSql(db).recordDecision(id, "approved", actor, reason, Date.now(), sha);
  });

/** A person ends a held (or still queued) change; it is never applied. */
export const rejectChange = (db: Database, queue: Queue, id: string, actor: string, reason: string) =>
  writeTx(db, () => {
    const sha = payloadSha(db, queue, id);
    queue.reject(id, reason, actor);
    governanceSql(db).recordDecision(id, "rejected", actor, reason, Date.now(), sha);
  });
