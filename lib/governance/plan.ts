import type { Database } from "bun:sqlite";
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from "node:fs";
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

/** A plan is a page of text; anything larger is refused before it is read. */
export const MAX_PLAN_BYTES = 1024 * 1024;

/**
 * Reads the plan: a regular file (never a symlink, which could lead outside the repository to a
 * plan nobody reviewed), at most MAX_PLAN_BYTES, valid UTF-8. Opened with O_NOFOLLOW and checked
 * on the open descriptor, so a swap between check and read changes nothing.
 */
export const readPlan = (path: string): Workplan => {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT")
      throw usageError("E_PLAN_MISSING", `no plan at ${path}`, "write a WORKPLAN.md in the seed's format");
    if (code === "ELOOP")
      throw usageError(
        "E_PLAN_UNSAFE",
        `${path} is a symbolic link; the plan must be a regular file in the repository`,
        "replace the link with the plan's text",
      );
    throw envError("E_IO", `cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile())
      throw usageError(
        "E_PLAN_UNSAFE",
        `${path} is not a regular file`,
        "make WORKPLAN.md a plain text file",
      );
    if (st.size > MAX_PLAN_BYTES)
      throw usageError(
        "E_PLAN_TOO_LARGE",
        `${path} is ${st.size} bytes, over the ${MAX_PLAN_BYTES}-byte limit for a plan`,
        "a plan is a page of text: shorten it",
      );
    const bytes = Buffer.alloc(st.size);
    const n = readSync(fd, bytes, 0, st.size, 0);
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, n));
    } catch {
      throw usageError("E_PLAN_UNSAFE", `${path} is not valid UTF-8`, "save the plan as UTF-8 text");
    }
    return parseWorkplan(text);
  } finally {
    closeSync(fd);
  }
};

/** Where the repository's plan stands, read fresh from disk (an agent's change may have edited it). */
export const planStatus = (repo: string, db: Database): { status: PlanStatus; plan: Workplan | null } => {
  const path = join(repo, PLAN_FILE);
  // lstat: a symlink, even a dangling one, is a plan that readPlan refuses, never "no plan".
  if (!lstatSync(path, { throwIfNoEntry: false })) {
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
