import type { Database } from "bun:sqlite";
import { z } from "zod";

export const PlanApprovalRow = z.object({
  id: z.number(),
  path: z.string(),
  sha256: z.string(),
  actor: z.string(),
  ts: z.number(),
});
export type PlanApprovalRow = z.infer<typeof PlanApprovalRow>;

/** Statements for plan approvals, prepared once per connection. */
export const governanceSql = (db: Database) => {
  const insertPlan = db.query("INSERT INTO plan_approvals (path, sha256, actor, ts) VALUES (?, ?, ?, ?)");
  const planBySha = db.query<PlanApprovalRow, [string]>(
    "SELECT * FROM plan_approvals WHERE sha256 = ? ORDER BY id DESC LIMIT 1",
  );
  const latestPlan = db.query<PlanApprovalRow, []>("SELECT * FROM plan_approvals ORDER BY id DESC LIMIT 1");
  return {
    /** Records that a person approved the plan text with this hash. */
    recordPlanApproval: (path: string, sha256: string, actor: string, ts: number) =>
      void insertPlan.run(path, sha256, actor, ts),
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
