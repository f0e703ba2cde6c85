import type { Database } from "bun:sqlite";
import { defaultConfig } from "../schema/index.ts";
import { applySql } from "../store/apply-sql.ts";
import { fail } from "./codes.ts";
import { readResolved, removeEmptyDirs } from "./files.ts";
import { execute, type Op } from "./journal.ts";
import { realRoot, resolveInRepo } from "./paths.ts";
import type { Limits } from "./shape.ts";

export type RollbackContext = {
  repo: string;
  db: Database;
  changeId: string;
  limits?: Limits;
  /** Test hook, as in applyChange. */
  onStep?: (step: string) => void;
};

/**
 * Undoes an applied change by restoring its pre-images (content and mode), through the same
 * journal as apply, so a crash mid-rollback is repaired too. Refused with E_ROLLBACK_DIVERGED,
 * naming the paths, when any file no longer holds what the change wrote.
 */
export const rollbackChange = (ctx: RollbackContext): { files: string[] } => {
  const sql = applySql(ctx.db);
  const limits = ctx.limits ?? defaultConfig().limits;
  const row = sql.latest(ctx.changeId, "apply");
  if (row?.state === "pending") {
    throw fail("E_APPLY_IN_PROGRESS", `${ctx.changeId} is being applied or awaits recovery`, {
      details: { change_id: ctx.changeId },
    });
  }
  if (row?.state !== "applied") {
    throw fail("E_NOT_APPLIED", `${ctx.changeId} is not applied${row ? ` (it is ${row.state})` : ""}`, {
      details: { change_id: ctx.changeId },
    });
  }
  const root = realRoot(ctx.repo);
  const images = sql.preImages(row.id);
  const ops: Op[] = [];
  const diverged: string[] = [];
  for (const img of images) {
    const res = resolveInRepo(root, img.path);
    const cur = readResolved(res, limits.max_file_bytes);
    if ((cur?.sha ?? null) !== img.post_sha256) {
      diverged.push(img.path);
      continue;
    }
    const existed = img.existed === 1;
    ops.push({
      res,
      op: existed ? "write" : "delete",
      content: existed ? (img.content ?? new Uint8Array()) : null,
      mode: existed ? (img.mode ?? 0o644) : null,
      post_sha256: existed ? img.sha256 : null,
      pre: cur
        ? { existed: true, bytes: cur.bytes, sha: cur.sha, mode: cur.mode }
        : { existed: false, bytes: null, sha: null, mode: null },
    });
  }
  if (diverged.length > 0) {
    throw fail(
      "E_ROLLBACK_DIVERGED",
      `cannot roll back ${ctx.changeId}: ${diverged.join(", ")} changed since it was applied`,
      {
        hint: "a person must decide; the files were left as they are",
        details: { change_id: ctx.changeId, paths: diverged },
      },
    );
  }
  execute(
    { root, sql, step: ctx.onStep ?? (() => {}) },
    {
      changeId: ctx.changeId,
      kind: "rollback",
      payloadSha: null,
      result: { files: images.map((i) => i.path) },
      ops,
      mods: {
        source: "rollback",
        rows: ops.map((o) => ({
          path: o.res.rel,
          kind: o.op === "write" ? (o.pre.existed ? "restore" : "recreate") : "remove",
          new_path: null,
          sha256_before: o.pre.sha,
          sha256_after: o.post_sha256,
          added: null,
          removed: null,
        })),
      },
      onDone: () => sql.setState(row.id, "rolled_back"),
    },
  );
  removeEmptyDirs(row.plan.dirs.map((d) => `${root}/${d}`));
  return { files: images.map((i) => i.path) };
};
