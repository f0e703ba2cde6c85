import { structuredPatch } from "diff";
import type { FileChange } from "../schema/index.ts";
import { fail } from "./codes.ts";
import { sha256Hex } from "./hash.ts";
import { checkPath, printable } from "./paths.ts";

/** Variants of makeFileChange: rename, context lines, mode of a created file. */
export type MakeOptions = {
  /** Makes a rename: the file moves to this path (with `after` as its new content, or unchanged). */
  newPath?: string;
  /** Context lines around each hunk (default 3, as git). */
  context?: number;
  /** Permission bits for a created file (0o755 for an executable); written as a git mode header. */
  mode?: number;
};

// Names with edge spaces or quotes are C-quoted, as git does, so the header reads back exactly.
const quote = (name: string) =>
  name.trim() !== name || name.includes('"')
    ? `"${name.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`
    : name;

const diffText = (
  oldName: string | null,
  newName: string | null,
  before: string,
  after: string,
  ctx: number,
) => {
  const sp = structuredPatch(
    oldName ?? "/dev/null",
    newName ?? "/dev/null",
    before,
    after,
    undefined,
    undefined,
    {
      context: ctx,
    },
  );
  const out = [
    `--- ${oldName === null ? "/dev/null" : quote(`a/${oldName}`)}`,
    `+++ ${newName === null ? "/dev/null" : quote(`b/${newName}`)}`,
  ];
  for (const h of sp.hunks) {
    const os = h.oldLines === 0 ? h.oldStart - 1 : h.oldStart;
    const ns = h.newLines === 0 ? h.newStart - 1 : h.newStart;
    out.push(`@@ -${os},${h.oldLines} +${ns},${h.newLines} @@`, ...h.lines);
  }
  return `${out.join("\n")}\n`;
};

/**
 * A FileChange computed by Hyperion from proposed contents, so agents never write diff syntax or
 * hashes. `before` null creates, `after` null deletes, both modify; `opts.newPath` renames.
 */
export const makeFileChange = (
  path: string,
  before: string | null,
  after: string | null,
  opts: MakeOptions = {},
): FileChange => {
  checkPath(path);
  const ctx = opts.context ?? 3;
  if (opts.newPath !== undefined) {
    checkPath(opts.newPath);
    if (before === null)
      throw fail("E_OP_MISMATCH", `rename of '${printable(path)}' needs its current content`);
    const base = sha256Hex(before);
    if (after === null || after === before) {
      return { path, operation: "rename", new_path: opts.newPath, base_sha256: base };
    }
    return {
      path,
      operation: "rename",
      new_path: opts.newPath,
      patch: diffText(path, opts.newPath, before, after, ctx),
      base_sha256: base,
      new_sha256: sha256Hex(after),
    };
  }
  if (before === null && after === null)
    throw fail("E_OP_MISMATCH", `'${printable(path)}': nothing before or after`);
  if (before === null) {
    const text = diffText(null, path, "", after!, ctx);
    const mode = opts.mode !== undefined && (opts.mode & 0o111) !== 0 ? "100755" : null;
    return {
      path,
      operation: "create",
      patch: mode ? `diff --git a/${path} b/${path}\nnew file mode ${mode}\n${text}` : text,
      new_sha256: sha256Hex(after!),
    };
  }
  if (after === null) return { path, operation: "delete", base_sha256: sha256Hex(before) };
  if (after === before)
    throw fail("E_NOOP", `'${printable(path)}' would be left as it is`, { details: { path } });
  return {
    path,
    operation: "modify",
    patch: diffText(path, path, before, after, ctx),
    base_sha256: sha256Hex(before),
    new_sha256: sha256Hex(after),
  };
};
