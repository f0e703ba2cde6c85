import type { Database } from "bun:sqlite";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { envError, HyperionError, usageError } from "../errors.ts";
import { governanceSql } from "../store/governance-sql.ts";
import { parseWorkplan, planIsValid, type Workplan } from "./workplan.ts";

export const PLAN_FILE = "WORKPLAN.md";

export const PlanStatus = z.object({
  path: z.string(),
  present: z.boolean(),
  sha256: z.string().nullable(),
  /** Sections, metadata and the Approval line all hold. */
  valid: z.boolean(),
  /** A person approved exactly this text with `hyperion plan approve`. */
  recorded: z.boolean(),
  approved_by: z.string().nullable(),
  approved_at: z.number().nullable(),
});
export type PlanStatus = z.infer<typeof PlanStatus>;

export const readPlan = (path: string): Workplan => {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === "ENOENT";
    throw missing
      ? usageError("E_PLAN_MISSING", `no plan at ${path}`, "write a WORKPLAN.md in the seed's format")
      : envError("E_IO", `cannot read ${path}: ${(e as Error).message}`);
  }
  return parseWorkplan(text);
};

/** Where the repository's plan stands, read fresh from disk (an agent's change may have edited it). */
export const planStatus = (repo: string, db: Database): { status: PlanStatus; plan: Workplan | null } => {
  const path = join(repo, PLAN_FILE);
  if (!existsSync(path)) {
    return {
      status: {
        path,
        present: false,
        sha256: null,
        valid: false,
        recorded: false,
        approved_by: null,
        approved_at: null,
      },
      plan: null,
    };
  }
  const plan = readPlan(path);
  const approval = governanceSql(db).planApproval(plan.sha256);
  return {
    status: {
      path,
      present: true,
      sha256: plan.sha256,
      valid: planIsValid(plan),
      recorded: approval !== null,
      approved_by: approval?.actor ?? null,
      approved_at: approval?.ts ?? null,
    },
    plan,
  };
};

/**
 * `plan check`'s verdict: "valid and approved" only when a person approved this very text
 * (`recorded`; null when the repository has no database, so no approval could be recorded).
 */
export const planVerdict = (valid: boolean, recorded: boolean | null): string =>
  !valid ? "NOT valid" : recorded ? "valid and approved" : "valid, not approved: run `hyperion plan approve`";

/** A person approves the plan's current text; refused while the plan has errors. */
export const approvePlan = (repo: string, db: Database, actor: string): PlanStatus => {
  const { status, plan } = planStatus(repo, db);
  if (!plan)
    throw usageError("E_PLAN_MISSING", `no ${PLAN_FILE} in ${repo}`, "write one in the seed's format first");
  if (!status.valid) {
    const first = plan.findings.find((f) => f.level === "error")!;
    throw usageError(
      "E_PLAN_INVALID",
      `${PLAN_FILE} has errors (line ${first.line ?? "?"}: ${first.message})`,
      "run `hyperion plan check` and fix them",
    );
  }
  if (!status.recorded) governanceSql(db).recordPlanApproval(status.path, plan.sha256, actor, Date.now());
  return planStatus(repo, db).status;
};

/**
 * The plan whose commands may run: null when the repository has no WORKPLAN.md (then nothing
 * runs at all); an error when it has one that a person has not approved in its current text.
 */
export const approvedPlan = (repo: string, db: Database): Workplan | null => {
  const { status, plan } = planStatus(repo, db);
  if (!plan) return null;
  if (!status.valid || !status.recorded) {
    throw new HyperionError(
      "E_PLAN_NOT_APPROVED",
      status.valid
        ? `${PLAN_FILE} (sha256 ${plan.sha256.slice(0, 12)}) has not been approved by a person in its current text`
        : `${PLAN_FILE} is not a valid, approved plan`,
      { exitCode: 3, hint: "review it, then run `hyperion plan approve`" },
    );
  }
  return plan;
};
