import type { Code } from "../codes.ts";
import { type ChangeRequest, fileKey, type KeyedPath } from "../schema/index.ts";
import type { PathRow } from "../store/queue/statements.ts";
import type { QueueContext } from "./_context.ts";

/*
 * Stacked changes. A change whose base on a path is an open change's result (its predecessor,
 * found at enqueue by that result's sha256) waits for it: behind it in line, and behind a held
 * one too, which then holds its place in line so nothing on its paths is leased past it. When the
 * predecessor can no longer produce that base (rejected, dead, rolled back) its dependents fail at
 * once with E_DEPENDENCY instead of being retried against a file that will never match.
 */

/**
 * What a change request leaves at each file it touches (null: no file there) and the bases it
 * needs, by file key: a base is matched against results on the same file however it is spelled.
 */
export const stackFacts = (cr: ChangeRequest) => {
  const results = new Map<string, string | null>();
  const bases: { path: string; sha: string }[] = [];
  for (const c of cr.changes) {
    const key = fileKey(c.path);
    if (c.base_sha256 !== undefined) bases.push({ path: key, sha: c.base_sha256 });
    if (c.operation === "delete" || c.operation === "rename") results.set(key, null);
    else results.set(key, c.new_sha256 ?? null);
    if (c.new_path !== undefined) results.set(fileKey(c.new_path), c.new_sha256 ?? c.base_sha256 ?? null);
  }
  return { results, bases };
};

/**
 * A held change takes its place in line, at the back, before the first change stacked on it
 * joins: from then on its paths lease nothing past it until a person approves or rejects it.
 * Its own held predecessors take theirs first, so the order of the stack is kept.
 */
export const placeHeld = (ctx: QueueContext, id: string): void => {
  const { sql } = ctx;
  const row = sql.byId(id) as { seq: number; status: string } | null;
  if (row?.status !== "awaiting_approval" || sql.holdsPlace(row.seq)) return;
  for (const p of sql.heldPredecessors(row.seq)) placeHeld(ctx, p);
  const seq = sql.renumber(id);
  sql.placeInLine(seq);
  ctx.event(id, "holds_place", { seq, reason: "a change stacked on it is queued" });
};

/** change_paths rows for one change: its files, what it leaves there and its predecessor on each. */
export const pathRows = (
  seq: number,
  paths: KeyedPath[],
  after: Map<string, string>,
  results: Map<string, string | null>,
): PathRow[] =>
  paths.map(({ key, path }) => [seq, key, path, results.get(key) ?? null, after.get(key) ?? null]);

/**
 * Fails at once, as dead letters with E_DEPENDENCY, every open change stacked on `id` (and on
 * those, in turn): their base is a result that will now never be in the tree.
 */
export const failDependents = (
  ctx: QueueContext,
  id: string,
  outcome: string,
  root: { id: string; outcome: string } = { id, outcome },
): void => {
  const { sql } = ctx;
  const now = ctx.now();
  for (const d of sql.dependents(id)) {
    const message =
      root.id === id
        ? `${d.id} is stacked on ${id}, which was ${outcome}: its base will never be in the tree`
        : `${d.id} is stacked on ${id}, itself stacked on ${root.id}, which was ${root.outcome}: its base will never be in the tree`;
    const code: Code = "E_DEPENDENCY";
    const err = { code, message, retryable: false, details: { dependency: id, root: root.id } };
    const lastError = JSON.stringify(err);
    if (sql.setStatus(d.id, d.status, "dead", now, { finished: true, lastError }) === null) continue;
    sql.insertDead(d.id, "E_DEPENDENCY", message, lastError, d.attempts, now);
    ctx.event(
      d.id,
      "dead",
      {
        code: "E_DEPENDENCY",
        reason_code: "E_DEPENDENCY",
        message,
        dependency: id,
        root: root.id,
        outcome: "dead",
      },
      "error",
    );
    failDependents(ctx, d.id, "dead", root);
  }
};
