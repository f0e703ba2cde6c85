import type { Database } from "bun:sqlite";
import { ChangeRequest, defaultConfig } from "../schema/index.ts";
import { applySql, type PreImageRow } from "../store/apply-sql.ts";
import { fail } from "./codes.ts";
import { readResolved } from "./files.ts";
import { sha256Hex } from "./hash.ts";
import { applyExact, reverseExact } from "./hunks.ts";
import { execute, type Op } from "./journal.ts";
import { type MergeConflict, merge3 } from "./merge3.ts";
import { parsePatch } from "./parse.ts";
import { realRoot, resolveInRepo } from "./paths.ts";
import type { Limits } from "./shape.ts";
import { decodeText } from "./text.ts";

/** The tree, the store and the applied change to undo. */
export type RollbackContext = {
  repo: string;
  db: Database;
  changeId: string;
  limits?: Limits;
  /** Test hook, as in applyChange. */
  onStep?: (step: string) => void;
  /**
   * Roll back files changed since, too: the change's own edit is taken out of what they hold now
   * by a three-way merge (base: what the change wrote, ours: the file now, theirs: the pre-image).
   * Needs the change's payload, to know what it wrote. Conflicts refuse the whole rollback.
   */
  force?: { payload: string };
  /** The writer's fencing check (see Entry.fence): false refuses with E_LEASE_LOST, nothing written. */
  fence?: () => boolean;
};

/** What the change wrote to `path`, rebuilt from its pre-image and its patch; null when it removed the file. */
const postImage = (cr: ChangeRequest, path: string, pre: string | null): string | null | undefined => {
  const change = cr.changes.find((c) => c.path === path || c.new_path === path);
  if (!change) return undefined;
  if (change.operation === "delete" || (change.operation === "rename" && change.path === path)) return null;
  if (change.operation === "rename") return undefined; // the new path's content came from another file
  if (!change.patch) return undefined;
  return applyExact(change.operation === "create" ? "" : (pre ?? ""), parsePatch(change.patch, path), path);
};

/** The content a forced rollback leaves in a diverged file, or why it cannot. */
const mergeBack = (
  cr: ChangeRequest,
  path: string,
  pre: Uint8Array | null,
  current: Uint8Array | null,
): { ok: true; content: string | null } | { ok: false; why: string; conflicts?: MergeConflict[] } => {
  const preText = pre === null ? null : decodeText(pre, path);
  const post = postImage(cr, path, preText);
  if (post === undefined) return { ok: false, why: "what the change wrote cannot be rebuilt" };
  if (post === null || current === null) return { ok: false, why: "it was removed or recreated since" };
  const merged = merge3(post, decodeText(current, path), preText ?? "");
  if (!merged.ok) return { ok: false, why: "later edits overlap the change", conflicts: merged.conflicts };
  if (preText === null) {
    return merged.content === ""
      ? { ok: true, content: null }
      : { ok: false, why: "it was created by the change and edited since" };
  }
  return { ok: true, content: merged.content };
};

/**
 * Rebuilds a derived pre-image (see Op.pre.derived): the change's patch, kept as the row's
 * content, reversed on the file as it is now when that is what the change left; null when it is
 * not (the file diverged). What does not reverse comes back empty, to be refused by its hash.
 */
const rebuild = (img: PreImageRow, root: string, limits: Limits): Uint8Array | null => {
  const cur = readResolved(resolveInRepo(root, img.path), limits.max_file_bytes);
  if (!cur || cur.sha !== img.post_sha256) return null;
  try {
    const patch = parsePatch(Buffer.from(img.content ?? new Uint8Array()).toString("utf8"), img.path);
    return new TextEncoder().encode(reverseExact(decodeText(cur.bytes, img.path), patch, img.path));
  } catch {
    return new Uint8Array();
  }
};

/**
 * Undoes an applied change by restoring its pre-images (content and mode), through the same
 * journal as apply, so a crash mid-rollback is repaired too. Refused with E_ROLLBACK_DIVERGED,
 * naming the paths, when any file no longer holds what the change wrote.
 */
export const rollbackChange = (ctx: RollbackContext): { files: string[]; merged: string[] } => {
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
  // A derived pre-image is rebuilt from the file as the change left it, by reversing its patch;
  // a file changed since cannot give it back (it counts as diverged, and cannot be forced).
  const images = sql
    .preImages(row)
    .map((i) => (i.derived === 1 ? { ...i, content: rebuild(i, root, limits) } : i));
  // Rows are untrusted like any row: a pre-image is written back only if it hashes to what it claims.
  const corrupt = images.filter(
    (i) =>
      i.existed === 1 &&
      !(i.derived === 1 && i.content === null) &&
      sha256Hex(i.content ?? new Uint8Array()) !== i.sha256,
  );
  if (corrupt.length > 0) {
    throw fail(
      "E_PRE_IMAGE_CORRUPT",
      `cannot roll back ${ctx.changeId}: the recorded pre-image of ${corrupt.map((i) => i.path).join(", ")} does not match its hash`,
      {
        hint: "the database was edited or damaged; restore these files from git or a backup; nothing was written",
        details: { change_id: ctx.changeId, paths: corrupt.map((i) => i.path) },
      },
    );
  }
  const ops: Op[] = [];
  const diverged: string[] = [];
  const conflicts: { path: string; why: string; conflicts?: MergeConflict[] }[] = [];
  const forced = ctx.force ? ChangeRequest.parse(JSON.parse(ctx.force.payload)) : null;
  for (const img of images) {
    const res = resolveInRepo(root, img.path);
    const cur = readResolved(res, limits.max_file_bytes);
    if ((cur?.sha ?? null) !== img.post_sha256) {
      diverged.push(img.path);
      if (!forced) continue;
      if (img.derived === 1) {
        const why = "its pre-image is kept as its patch reversed, which needs the file as the change left it";
        conflicts.push({ path: img.path, why });
        continue;
      }
      const m = mergeBack(
        forced,
        img.path,
        img.existed === 1 ? (img.content ?? new Uint8Array()) : null,
        cur?.bytes ?? null,
      );
      if (!m.ok) {
        conflicts.push({ path: img.path, why: m.why, ...(m.conflicts ? { conflicts: m.conflicts } : {}) });
        continue;
      }
      const bytes = m.content === null ? null : new TextEncoder().encode(m.content);
      ops.push({
        res,
        op: bytes === null ? "delete" : "write",
        content: bytes,
        mode: bytes === null ? null : (cur?.mode ?? img.mode ?? 0o644),
        post_sha256: bytes === null ? null : sha256Hex(bytes),
        pre: cur
          ? { existed: true, bytes: cur.bytes, sha: cur.sha, mode: cur.mode }
          : { existed: false, bytes: null, sha: null, mode: null },
      });
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
  if (conflicts.length > 0) {
    throw fail(
      "E_ROLLBACK_CONFLICT",
      `cannot roll back ${ctx.changeId}: ${conflicts.map((c) => `${c.path} (${c.why})`).join(", ")}`,
      {
        hint: "undo these files by hand; nothing was written",
        details: { change_id: ctx.changeId, conflicts },
      },
    );
  }
  if (diverged.length > 0 && !forced) {
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
      dropDirs: row.plan.dirs.map((d) => `${root}/${d}`),
      ...(ctx.fence ? { fence: ctx.fence } : {}),
    },
  );
  return { files: images.map((i) => i.path), merged: diverged };
};
