import type { HyperionError } from "../errors.ts";
import type { ChangeRequest, FileChange } from "../schema/index.ts";
import { fail } from "./codes.ts";
import { readInRepo } from "./files.ts";
import { sha256Hex } from "./hash.ts";
import { applyExact } from "./hunks.ts";
import { type ParsedPatch, parsePatch } from "./parse.ts";
import { printable, realRoot } from "./paths.ts";
import { resultOnBase } from "./result.ts";
import { type Limits, type Problem, shapeRequest } from "./shape.ts";
import { decodeText } from "./text.ts";

/** What validation needs besides the request: the tree, the limits, ownership and the queue ahead. */
export type ValidateContext = {
  /** The repository root. */
  repo: string;
  limits: Limits;
  /** The task's owned paths when the change belongs to a planned task; absent for ad-hoc changes. */
  owned?: readonly string[];
  /** Changes queued ahead on a path, in queue order, so a base can match the projected tree. */
  ahead?: (path: string) => readonly FileChange[];
};

/** A valid request, as parsed. */
export type Validated = {
  cr: ChangeRequest;
  /** Paths whose base matched neither the tree nor the projection: accepted, rebased at apply. */
  stale: string[];
};

/** Every problem of a request, one per change (cr is null when there is any). */
export type Checked = { cr: ChangeRequest | null; stale: string[]; problems: Problem[] };

/** A file as the tree or the queue will leave it; text null when absent or not known. */
type State = { exists: boolean; sha: string | null; text: string | null; binary?: HyperionError };

const owns = (owned: readonly string[], path: string) =>
  owned.some((o) => o === path || (o.endsWith("/") && path.startsWith(o)));

/** The file as the changes queued ahead of it on this path will leave it. */
const project = (start: State, path: string, ahead: readonly FileChange[]): State => {
  let s = start;
  for (const fc of ahead) {
    if (fc.path === path && (fc.operation === "delete" || fc.operation === "rename")) {
      s = { exists: false, sha: null, text: null };
    } else if (fc.path === path) {
      let text: string | null = null;
      const src = fc.operation === "create" ? "" : s.text;
      if (src !== null && (fc.operation === "create" || s.sha === fc.base_sha256) && fc.patch !== undefined) {
        try {
          const out = applyExact(src, parsePatch(fc.patch, path), path);
          if (sha256Hex(out) === fc.new_sha256) text = out;
        } catch {
          // a stale change ahead: its result is only known by hash
        }
      }
      s = { exists: true, sha: fc.new_sha256 ?? null, text };
    } else if (fc.new_path === path) {
      s = {
        exists: true,
        sha: (fc.patch === undefined ? fc.base_sha256 : fc.new_sha256) ?? null,
        text: null,
      };
    }
  }
  return s;
};

/**
 * Every check before enqueue, collecting one problem per change (for `hyperion enqueue`):
 * schema, limits, paths, ownership, operation against patch and tree, hashes.
 */
export const checkChangeRequest = (input: unknown, ctx: ValidateContext): Checked => {
  const { shaped, problems } = shapeRequest(input, ctx.limits);
  if (!shaped) return { cr: null, stale: [], problems };
  const root = realRoot(ctx.repo);
  const stale: string[] = [];
  const states = new Map<string, { tree: State; projected: State }>();
  const stateOf = (path: string) => {
    let st = states.get(path);
    if (!st) {
      const f = readInRepo(root, path, ctx.limits.max_file_bytes);
      let tree: State = { exists: false, sha: null, text: null };
      if (f) {
        // A binary file may be deleted or moved as it is; only patching it needs text.
        try {
          tree = { exists: true, sha: f.sha, text: decodeText(f.bytes, path) };
        } catch (e) {
          tree = { exists: true, sha: f.sha, text: null, binary: e as HyperionError };
        }
      }
      const ahead = ctx.ahead?.(path) ?? [];
      st = { tree, projected: ahead.length > 0 ? project(tree, path, ahead) : tree };
      states.set(path, st);
    }
    return st;
  };
  const bad = new Set(problems.map((p) => p.index));
  // A request-level problem (a collision) stops here; a bad change only skips itself.
  if (bad.has(null)) return { cr: null, stale: [], problems };
  shaped.cr.changes.forEach((fc, index) => {
    if (bad.has(index)) return;
    try {
      if (ctx.owned) {
        for (const p of [fc.path, fc.new_path]) {
          if (p !== undefined && !owns(ctx.owned, p)) {
            throw fail("E_NOT_OWNED", `task ${shaped.cr.task_id} does not own '${printable(p)}'`, {
              hint: "change only the task's owned paths",
              details: { path: p, owned: ctx.owned.slice(0, 50) },
            });
          }
        }
      }
      if (checkAgainstTree(fc, shaped.parsed[index] ?? null, stateOf)) stale.push(fc.path);
    } catch (e) {
      problems.push({ index, path: fc.path, error: e as HyperionError });
    }
  });
  problems.sort((a, b) => (a.index ?? -1) - (b.index ?? -1));
  return { cr: problems.length === 0 ? shaped.cr : null, stale, problems };
};

/** True when the change is stale (its base matches neither tree nor projection). */
const checkAgainstTree = (
  fc: FileChange,
  p: ParsedPatch | null,
  stateOf: (path: string) => { tree: State; projected: State },
): boolean => {
  const { tree, projected } = stateOf(fc.path);
  if (fc.operation === "create") {
    if (projected.exists) {
      throw fail("E_OP_MISMATCH", `create of '${printable(fc.path)}': the file already exists`, {
        hint: "modify it instead",
        details: { path: fc.path },
      });
    }
    if (p?.copyFrom === undefined) resultOnBase(fc, p, "");
    else {
      // A git copy starts from its source as the changes ahead leave it.
      const src = stateOf(p.copyFrom).projected;
      if (!src.exists) {
        throw fail(
          "E_OP_MISMATCH",
          `create of '${printable(fc.path)}': its copy source '${printable(p.copyFrom)}' does not exist`,
          {
            details: { path: fc.path, copy_from: p.copyFrom },
          },
        );
      }
      if (src.text !== null) resultOnBase(fc, p, src.text);
    }
    return false;
  }
  if (!projected.exists) {
    throw fail("E_OP_MISMATCH", `${fc.operation} of '${printable(fc.path)}': the file does not exist`, {
      details: { path: fc.path },
    });
  }
  if (fc.new_path !== undefined && stateOf(fc.new_path).projected.exists) {
    throw fail(
      "E_OP_MISMATCH",
      `rename of '${printable(fc.path)}': '${printable(fc.new_path)}' already exists`,
      {
        details: { path: fc.path, new_path: fc.new_path },
      },
    );
  }
  const base =
    tree.exists && tree.sha === fc.base_sha256
      ? tree.text
      : projected.sha === fc.base_sha256
        ? projected.text
        : undefined;
  if (tree.binary && p !== null) throw tree.binary;
  if (base === undefined) return true;
  if (base !== null) resultOnBase(fc, p, base);
  return false;
};

/** Validates one change request before enqueue; throws the first problem as a HyperionError. */
export const validateChangeRequest = (input: unknown, ctx: ValidateContext): Validated => {
  const r = checkChangeRequest(input, ctx);
  if (r.problems.length > 0 || !r.cr) throw r.problems[0]!.error;
  return { cr: r.cr, stale: r.stale };
};
