import { z } from "zod";
import { HyperionError, usageError } from "../errors.ts";
import { rollbackChange } from "../patch/index.ts";
import type { Queue } from "../queue/index.ts";
import { notFound } from "../queue/index.ts";
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

const Diverged = z.object({ paths: z.array(z.string()) }).loose();
const Conflicted = z.object({ conflicts: z.array(z.object({ path: z.string() }).loose()) }).loose();

/**
 * A refused rollback, told so a person can act: which change (or outside edit) touched each file
 * since, and the next command (`--force` merges the undo into those edits).
 */
const refusal = (repo: Repo, id: string, e: HyperionError): HyperionError => {
  const diverged = e.code === "E_ROLLBACK_DIVERGED" ? Diverged.safeParse(e.details) : null;
  const conflicted = e.code === "E_ROLLBACK_CONFLICT" ? Conflicted.safeParse(e.details) : null;
  const paths = diverged?.success
    ? diverged.data.paths
    : conflicted?.success
      ? conflicted.data.conflicts.map((c) => c.path)
      : null;
  if (!paths) return e;
  const sql = summarySql(repo.db);
  const by = paths.map((path) => ({ path, last: sql.touchedSince(path, id) }));
  const changes = [...new Set(by.flatMap((b) => (b.last?.change_id ? [b.last.change_id] : [])))];
  const who = by
    .map(({ path, last }) => {
      if (last?.change_id) return `${path} (changed by ${last.change_id})`;
      if (last) return `${path} (edited outside Hyperion at ${new Date(last.ts).toISOString()})`;
      return `${path} (edited outside Hyperion)`;
    })
    .join(", ");
  const undoFirst = changes.length ? `roll back ${changes.join(", ")} first (newest first), or ` : "";
  const hint =
    e.code === "E_ROLLBACK_DIVERGED"
      ? `${undoFirst}run \`hyperion rollback ${id} --force\` to merge the undo into the newer edits`
      : `${undoFirst}undo these files by hand; nothing was written`;
  return new HyperionError(
    e.code,
    `cannot roll back ${id}: ${who} since it was applied${e.code === "E_ROLLBACK_CONFLICT" ? ", and the undo does not merge" : ""}`,
    { exitCode: e.exitCode, hint, details: { ...e.details, touched_by: changes } },
  );
};

/** Undoes one applied change: restores its pre-images, records `rolled_back`, reverts its commit. */
export const rollbackOne = (
  repo: Repo,
  queue: Queue,
  id: string,
  opts: { force: boolean; actor: string },
): RolledBack => {
  const change = queue.get(id);
  if (!change) throw notFound(repo.db, id);
  if (change.status !== "applied") {
    throw new HyperionError("E_NOT_APPLIED", `${id} is ${change.status}, not applied`, {
      hint: "only applied changes roll back",
    });
  }
  let undone: { files: string[]; merged: string[] };
  try {
    undone = rollbackChange({
      repo: repo.loc.repo,
      db: repo.db,
      changeId: id,
      limits: repo.config.limits,
      ...(opts.force ? { force: { payload: change.payload } } : {}),
    });
  } catch (e) {
    throw e instanceof HyperionError ? refusal(repo, id, e) : e;
  }
  const { files, merged } = undone;
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
