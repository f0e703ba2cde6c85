import { z } from "zod";
import { HyperionError, usageError } from "../errors.ts";
import { rollbackChange } from "../patch/index.ts";
import type { Queue } from "../queue/index.ts";
import { ChangeRequest } from "../schema/index.ts";
import type { Repo } from "../store/index.ts";
import { summarySql } from "../store/summary-sql.ts";
import { commitPaths, isGitRepo } from "./git.ts";

export const RolledBack = z.object({
  id: z.string(),
  files: z.array(z.string()),
  /** Files changed since the apply, rolled back by three-way merge (--force). */
  merged: z.array(z.string()),
  /** The revert commit, in git mode. */
  commit: z.string().nullable(),
});
export type RolledBack = z.infer<typeof RolledBack>;

const CommitData = z.object({ commit: z.string() }).loose();

/** The commit git mode made for a change, if any. */
const commitOf = (queue: Queue, id: string): string | null => {
  const applied = queue.logs(id).findLast((l) => l.event === "applied");
  const parsed = CommitData.safeParse(applied?.data);
  return parsed.success ? parsed.data.commit : null;
};

/** Undoes one applied change: restores its pre-images, records `rolled_back`, reverts its commit. */
export const rollbackOne = (
  repo: Repo,
  queue: Queue,
  id: string,
  opts: { force: boolean; actor: string },
): RolledBack => {
  const change = queue.get(id);
  if (!change) throw usageError("E_NOT_FOUND", `no change '${id}'`, "see `hyperion list`");
  if (change.status !== "applied") {
    throw new HyperionError("E_NOT_APPLIED", `${id} is ${change.status}, not applied`, {
      hint: "only applied changes roll back",
    });
  }
  const { files, merged } = rollbackChange({
    repo: repo.loc.repo,
    db: repo.db,
    changeId: id,
    limits: repo.config.limits,
    ...(opts.force ? { force: { payload: change.payload } } : {}),
  });
  queue.markRolledBack(id, { actor: opts.actor, files, merged });
  const applied = commitOf(queue, id);
  let commit: string | null = null;
  if (applied && isGitRepo(repo.loc.repo)) {
    const cr = ChangeRequest.parse(JSON.parse(change.payload));
    const paths = cr.changes.flatMap((c) => (c.new_path ? [c.path, c.new_path] : [c.path]));
    commit = commitPaths(
      repo.loc.repo,
      paths,
      `Revert "${cr.summary ?? `Apply ${id}`}"`,
      { task: cr.task_id, change: id },
      `This reverts commit ${applied}.`,
    );
  }
  return { id, files, merged, commit };
};

/**
 * Undoes a whole request: its applied changes in reverse order of application. Stops at the
 * first change that cannot roll back, reporting what was already undone.
 */
export const rollbackRequest = (
  repo: Repo,
  queue: Queue,
  requestId: string,
  opts: { force: boolean; actor: string },
): { done: RolledBack[]; error: HyperionError | null } => {
  const order = summarySql(repo.db).appliedOrder(requestId);
  const ids = [...new Set(order.toReversed())].filter((id) => queue.get(id)?.status === "applied");
  if (ids.length === 0)
    throw usageError(
      "E_NOT_FOUND",
      `request '${requestId}' has no applied changes`,
      "see `hyperion summary`",
    );
  const done: RolledBack[] = [];
  for (const id of ids) {
    try {
      done.push(rollbackOne(repo, queue, id, opts));
    } catch (e) {
      if (e instanceof HyperionError) return { done, error: e };
      throw e;
    }
  }
  return { done, error: null };
};
