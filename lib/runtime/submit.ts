import { existsSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { HyperionError } from "../errors.ts";
import {
  assessRisk,
  checkTaskTakes,
  handedCredentials,
  PLAN_FILE,
  type RiskAssessment,
  readPlan,
  validationInputs,
} from "../governance/index.ts";
import { type Tip, validateChangeRequest } from "../patch/index.ts";
import type { Queue } from "../queue/index.ts";
import { type ChangeRequest, fileKey } from "../schema/index.ts";
import type { Repo } from "../store/index.ts";
import { runtimeSql } from "../store/runtime-sql.ts";
import { writeTx } from "../store/write-tx.ts";

export const Rejection = z.object({
  index: z.number().int(),
  id: z.string().nullable(),
  task_id: z.string().nullable(),
  code: z.string(),
  message: z.string(),
});
export type Rejection = z.infer<typeof Rejection>;

const field = (input: unknown, key: string): string | null => {
  const v = (input as Record<string, unknown> | null)?.[key];
  return typeof v === "string" ? v : null;
};

/**
 * The one way change requests enter the queue: each is validated (schema, paths, ownership,
 * operation, hashes against the tree as the changes ahead of it will leave it), then all
 * valid ones are signed and enqueued in one transaction. With any rejection nothing is
 * enqueued, unless `partial`.
 */
export const submitChanges = (
  repo: Repo,
  queue: Queue,
  inputs: readonly unknown[],
  opts: { partial?: boolean; priority?: number } = {},
) => {
  const sql = runtimeSql(repo.db);
  const accepted: { cr: ChangeRequest; results: Map<string, string> }[] = [];
  const rejected: Rejection[] = [];
  // What this submission's accepted changes leave at each file (by file key): a later change in
  // it stacks on those as on queued ones, whose results the queue keeps.
  const tips = new Map<string, Tip>();
  const keptBy = new Map<string, Map<string, string>>();
  const ids = new Set<string>();
  const adding = new Map<string, number>();
  inputs.forEach((input, index) => {
    const id = field(input, "id");
    const taskId = field(input, "task_id");
    try {
      if (id !== null && (ids.has(id) || queue.get(id))) {
        throw new HyperionError("E_DUPLICATE_ID", `change id '${id}' is already used`, {
          hint: "omit the id to have one assigned",
        });
      }
      if (taskId !== null) {
        checkTaskTakes(
          taskId,
          sql.taskState(taskId),
          adding.get(taskId) ?? 0,
          repo.config.limits.max_open_changes_per_task,
        );
      }
      const owned = taskId === null ? undefined : (sql.taskOwnedPaths(taskId) ?? undefined);
      const { cr, left } = validateChangeRequest(input, {
        repo: repo.loc.repo,
        limits: repo.config.limits,
        owned,
        tip: (path) => tips.get(fileKey(path)) ?? queue.tipOf(path),
      });
      const results = new Map<string, string>();
      for (const { path, sha, text } of left) {
        const key = fileKey(path);
        tips.set(key, { sha, text: () => text });
        // Only a file's newest result is read by later changes: an earlier one is not kept.
        keptBy.get(key)?.delete(key);
        keptBy.set(key, results);
        if (sha !== null && text !== null) results.set(key, text);
      }
      accepted.push({ cr, results });
      adding.set(cr.task_id, (adding.get(cr.task_id) ?? 0) + 1);
      if (id !== null) ids.add(id);
    } catch (e) {
      if (!(e instanceof HyperionError)) throw e;
      rejected.push({ index, id, task_id: taskId, code: e.code, message: e.message });
    }
  });
  if (rejected.length > 0 && !opts.partial)
    return { enqueued: [], rejected, risks: new Map<string, RiskAssessment>() };

  // Risky changes wait for a person instead of entering the queue.
  const planPath = join(repo.loc.repo, PLAN_FILE);
  const inputsOfValidation = validationInputs(
    repo.loc.repo,
    existsSync(planPath) ? readPlan(planPath) : null,
  );
  const handed = handedCredentials(repo.config.agents);
  const assessed = accepted.map(({ cr, results }) => ({
    cr,
    results,
    risk: assessRisk(cr, repo.config.risk, inputsOfValidation, handed),
  }));
  const enqueued = writeTx(repo.db, () =>
    assessed.flatMap(({ cr, results, risk }) => {
      const status = risk.needs_approval ? "awaiting_approval" : "queued";
      const done = queue.enqueue([cr], {
        priority: opts.priority,
        risk: risk.level,
        riskScore: risk.score,
        status,
        results: [results],
      });
      if (risk.needs_approval) queue.log(done[0]!.id, "held_for_approval", risk, "warn");
      return done;
    }),
  );
  const risks = new Map(enqueued.map((e, i) => [e.id, assessed[i]!.risk]));
  return { enqueued, rejected, risks };
};
