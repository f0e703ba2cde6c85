import type { Database } from "bun:sqlite";
import { z } from "zod";
import { writeTx } from "./write-tx.ts";

export const PlanApprovalRow = z.object({
  id: z.number(),
  path: z.string(),
  sha256: z.string(),
  actor: z.string(),
  ts: z.number(),
});
export type PlanApprovalRow = z.infer<typeof PlanApprovalRow>;

export const ApprovalRow = z.object({
  id: z.number(),
  change_id: z.string(),
  decision: z.enum(["approved", "rejected"]),
  actor: z.string(),
  reason: z.string().nullable(),
  ts: z.number(),
  /** The payload the decision was made on; null for decisions recorded before it was kept. */
  payload_sha256: z.string().nullable(),
});
export type ApprovalRow = z.infer<typeof ApprovalRow>;

/** Statements for approvals of plans and of held changes, prepared once per connection. */
export const governanceSql = (db: Database) => {
  const insertPlan = db.query("INSERT INTO plan_approvals (path, sha256, actor, ts) VALUES (?, ?, ?, ?)");
  const planBySha = db.query<PlanApprovalRow, [string]>(
    "SELECT * FROM plan_approvals WHERE sha256 = ? ORDER BY id DESC LIMIT 1",
  );
  const latestPlan = db.query<PlanApprovalRow, []>("SELECT * FROM plan_approvals ORDER BY id DESC LIMIT 1");
  const insertDecision = db.query(
    "INSERT INTO approvals (change_id, decision, actor, reason, ts, payload_sha256) VALUES (?, ?, ?, ?, ?, ?)",
  );
  const decisionsOf = db.query<ApprovalRow, [string]>(
    "SELECT * FROM approvals WHERE change_id = ? ORDER BY id",
  );
  return {
    /** Records a person's decision on a held change, and the sha256 of the payload it was made on. */
    recordDecision: (
      changeId: string,
      decision: "approved" | "rejected",
      actor: string,
      reason: string | null,
      ts: number,
      payloadSha256: string | null,
    ) => writeTx(db, () => void insertDecision.run(changeId, decision, actor, reason, ts, payloadSha256)),
    /** Every decision on a change, oldest first. */
    decisions: (changeId: string): ApprovalRow[] =>
      decisionsOf.all(changeId).map((r) => ApprovalRow.parse(r)),
    /** Records that a person approved the plan text with this hash. */
    recordPlanApproval: (path: string, sha256: string, actor: string, ts: number) =>
      writeTx(db, () => void insertPlan.run(path, sha256, actor, ts)),
    /** The approval of exactly this text, if a person gave one. */
    planApproval: (sha256: string): PlanApprovalRow | null => {
      const row = planBySha.get(sha256);
      return row ? PlanApprovalRow.parse(row) : null;
    },
    /** The most recent plan approval, whatever its text. */
    latestPlanApproval: (): PlanApprovalRow | null => {
      const row = latestPlan.get();
      return row ? PlanApprovalRow.parse(row) : null;
    },
  };
};
