import { HyperionError } from "../errors.ts";
import {
  type ChangeRequest,
  ChangeRequest as ChangeRequestSchema,
  type Config,
  type FileChange,
} from "../schema/index.ts";
import { fail } from "./codes.ts";
import { sha256Hex } from "./hash.ts";
import { namesPath, type ParsedPatch, parsePatch } from "./parse.ts";
import { checkCollisions, checkPath, printable } from "./paths.ts";
import { checkPatchText } from "./text.ts";

export type Limits = Config["limits"];

export const EMPTY_SHA = sha256Hex("");

/** A problem with one change of a request (index null: the request as a whole). */
export type Problem = { index: number | null; path: string | null; error: HyperionError };

/** A request whose schema, limits and paths passed, with each change's parsed patch (null: none). */
export type Shaped = { cr: ChangeRequest; parsed: (ParsedPatch | null)[] };

const asHyperion = (e: unknown): HyperionError => {
  if (e instanceof HyperionError) return e;
  throw e;
};

/** Schema, limits and collisions of the whole request; then every change on its own. */
export const shapeRequest = (
  input: unknown,
  limits: Limits,
): { shaped: Shaped | null; problems: Problem[] } => {
  const parsed = ChangeRequestSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.join(".") || "(root)";
    const error = fail("E_SCHEMA", `change request ${at}: ${issue.message}`, {
      hint: "see `hyperion schema change-request`",
      details: { issues: parsed.error.issues.slice(0, 10) },
    });
    return { shaped: null, problems: [{ index: null, path: null, error }] };
  }
  const cr = parsed.data;
  const whole = (error: HyperionError) => ({ shaped: null, problems: [{ index: null, path: null, error }] });
  if (cr.changes.length > limits.max_files) {
    return whole(
      fail(
        "E_TOO_LARGE",
        `the change touches ${cr.changes.length} files, over the limit of ${limits.max_files}`,
        {
          hint: "split it, or raise limits.max_files",
        },
      ),
    );
  }
  let total = 0;
  for (const c of cr.changes) total += c.patch === undefined ? 0 : Buffer.byteLength(c.patch);
  if (total > limits.max_change_bytes) {
    return whole(
      fail("E_TOO_LARGE", `the patches total ${total} bytes, over the limit of ${limits.max_change_bytes}`, {
        hint: "split the change, or raise limits.max_change_bytes",
      }),
    );
  }
  const problems: Problem[] = [];
  const patches = cr.changes.map((fc, index) => {
    try {
      return shapeChange(fc, limits);
    } catch (e) {
      problems.push({ index, path: fc.path, error: asHyperion(e) });
      return null;
    }
  });
  if (problems.length === 0) {
    try {
      checkCollisions(
        cr.changes.flatMap((c) => (c.new_path === undefined ? [c.path] : [c.path, c.new_path])),
      );
    } catch (e) {
      problems.push({ index: null, path: null, error: asHyperion(e) });
    }
  }
  // Returned even with per-change problems, so checkChangeRequest can check the other changes.
  return { shaped: { cr, parsed: patches }, problems };
};

const need = (fc: FileChange, field: keyof FileChange) => {
  if (fc[field] === undefined) {
    throw fail("E_SCHEMA", `${fc.operation} of '${printable(fc.path)}' needs ${field}`, {
      details: { path: fc.path },
    });
  }
};
const refuse = (fc: FileChange, field: keyof FileChange) => {
  if (fc[field] !== undefined) {
    throw fail("E_OP_MISMATCH", `${fc.operation} of '${printable(fc.path)}' must not carry ${field}`, {
      details: { path: fc.path },
    });
  }
};
const mismatch = (fc: FileChange, why: string) =>
  fail("E_OP_MISMATCH", `${fc.operation} of '${printable(fc.path)}': ${why}`, { details: { path: fc.path } });

/**
 * One change on its own: safe paths, the fields its operation needs, and a patch that is one
 * well-formed unified diff whose file names and sides agree with the operation.
 */
export const shapeChange = (fc: FileChange, limits: Limits): ParsedPatch | null => {
  checkPath(fc.path);
  if (fc.new_path !== undefined) checkPath(fc.new_path);
  switch (fc.operation) {
    case "create":
      refuse(fc, "base_sha256");
      refuse(fc, "new_path");
      need(fc, "new_sha256");
      if (fc.patch === undefined) throw mismatch(fc, "a create needs a patch from /dev/null");
      break;
    case "modify":
      refuse(fc, "new_path");
      need(fc, "base_sha256");
      need(fc, "new_sha256");
      if (fc.patch === undefined) throw mismatch(fc, "a modify needs a patch");
      break;
    case "delete":
      refuse(fc, "new_path");
      refuse(fc, "new_sha256");
      need(fc, "base_sha256");
      break;
    case "rename":
      need(fc, "new_path");
      need(fc, "base_sha256");
      if (fc.new_path === fc.path) throw mismatch(fc, "new_path is the same path");
      if (fc.patch !== undefined) need(fc, "new_sha256");
      else if (fc.new_sha256 !== undefined && fc.new_sha256 !== fc.base_sha256) {
        throw mismatch(fc, "new_sha256 differs from base_sha256 but there is no patch");
      }
      break;
  }
  if (fc.patch === undefined) return null;
  const bytes = Buffer.byteLength(fc.patch);
  if (bytes > limits.max_patch_bytes) {
    throw fail(
      "E_TOO_LARGE",
      `the patch for '${printable(fc.path)}' is ${bytes} bytes, over ${limits.max_patch_bytes}`,
      {
        hint: "raise limits.max_patch_bytes for large generated files",
        details: { path: fc.path, bytes },
      },
    );
  }
  checkPatchText(fc.patch, fc.path);
  const p = parsePatch(fc.patch, fc.path);
  const target = fc.new_path ?? fc.path;
  const named = (name: string | null, prefix: "a/" | "b/", path: string) => {
    if (name === null) return;
    if (!namesPath(name, prefix, path)) {
      throw mismatch(fc, `the patch names '${printable(name)}', not '${printable(path)}'`);
    }
  };
  switch (fc.operation) {
    case "create":
      // jsdiff names the file (bare, no a/ b/) on both sides of a create, where git writes /dev/null.
      if (p.oldName !== null && p.oldName !== fc.path)
        throw mismatch(fc, "a create patch must come from /dev/null");
      if (p.newName === null) throw mismatch(fc, "the patch goes to /dev/null");
      // A copy's hunks change the source's lines; any other create only adds.
      if (p.copyFrom === undefined && p.hunks.some((h) => h.old.length > 0))
        throw mismatch(fc, "a create patch may only add lines");
      if (p.copyFrom !== undefined) checkPath(p.copyFrom);
      else if (p.hunks.length === 0 && fc.new_sha256 !== EMPTY_SHA) {
        throw fail("E_HUNK_MALFORMED", `the create patch for '${printable(fc.path)}' has no hunks`, {
          hint: "only an empty file is created from a patch without hunks",
          details: { path: fc.path },
        });
      }
      break;
    case "delete":
      if (p.newName !== null && p.newName !== fc.path)
        throw mismatch(fc, "a delete patch must go to /dev/null");
      if (p.oldName === null) throw mismatch(fc, "the patch comes from /dev/null");
      if (p.added > 0) throw mismatch(fc, "a delete patch may only remove lines");
      if (p.hunks.length === 0 && fc.base_sha256 !== EMPTY_SHA) {
        throw fail("E_HUNK_MALFORMED", `the delete patch for '${printable(fc.path)}' has no hunks`, {
          hint: "omit the patch to delete a file",
          details: { path: fc.path },
        });
      }
      break;
    default:
      if (p.oldName === null || p.newName === null)
        throw mismatch(fc, "the patch names /dev/null on one side");
      // git's pure rename (`similarity index 100%`) and mode change carry no hunks.
      if (p.hunks.length === 0 && (fc.operation === "rename" || p.newMode !== undefined)) break;
      if (p.hunks.length === 0) {
        throw fail("E_HUNK_MALFORMED", `the patch for '${printable(fc.path)}' has no hunks`, {
          hint: "ed scripts, prose and empty patches are not unified diffs",
          details: { path: fc.path },
        });
      }
      if (p.added === 0 && p.removed === 0) {
        throw fail("E_NOOP", `the patch for '${printable(fc.path)}' changes no line`, {
          details: { path: fc.path },
        });
      }
  }
  named(p.oldName, "a/", fc.path);
  named(p.newName, "b/", target);
  return p;
};
