import type { HyperionError } from "../errors.ts";
import type { ChangeRequest, FileChange } from "../schema/index.ts";
import { fail } from "./codes.ts";
import { readInRepo } from "./files.ts";
import type { ParsedPatch } from "./parse.ts";
import { printable, realRoot } from "./paths.ts";
import { resultOnBase } from "./result.ts";
import { type Limits, type Problem, shapeRequest } from "./shape.ts";
import { decodeText } from "./text.ts";

/** What the newest open change on a file leaves there: its sha256 (null: no file) and, when known, its content. */
export type Tip = { sha: string | null; text: () => string | null };

/** What validation needs besides the request: the tree, the limits, ownership and the queue ahead. */
export type ValidateContext = {
  /** The repository root. */
  repo: string;
  limits: Limits;
  /** The task's owned paths when the change belongs to a planned task; absent for ad-hoc changes. */
  owned?: readonly string[];
  /** What the open changes on a path will leave there (the newest one's result), or null when none is open. */
  tip?: (path: string) => Tip | null;
};

/** What a valid change leaves at one file: sha256 (null: no file) and content (null: not known). */
export type Left = { path: string; sha: string | null; text: string | null };

/** A valid request, as parsed. */
export type Validated = {
  cr: ChangeRequest;
  /** Paths whose base matched neither the tree nor the projection: accepted, rebased at apply. */
  stale: string[];
  /** What the request leaves at each file it touches, for the changes stacked on it. */
  left: Left[];
};

/** Every problem of a request, one per change (cr is null when there is any). */
export type Checked = Omit<Validated, "cr"> & { cr: ChangeRequest | null; problems: Problem[] };

/** A file as the tree or the queue will leave it; its text read only when a check needs it. */
type State = { exists: boolean; sha: string | null; text: () => string | null; binary?: HyperionError };

const owns = (owned: readonly string[], path: string) =>
  owned.some((o) => o === path || (o.endsWith("/") && path.startsWith(o)));

/**
 * Every check before enqueue, collecting one problem per change (for `hyperion enqueue`):
 * schema, limits, paths, ownership, operation against patch and tree, hashes.
 */
export const checkChangeRequest = (input: unknown, ctx: ValidateContext): Checked => {
  const { shaped, problems } = shapeRequest(input, ctx.limits);
  if (!shaped) return { cr: null, stale: [], left: [], problems };
  const root = realRoot(ctx.repo);
  const stale: string[] = [];
  const left: Left[] = [];
  const states = new Map<string, Place>();
  const stateOf = (path: string): Place => {
    let st = states.get(path);
    if (!st) {
      // The tree is read only when the queue's projection cannot answer (see checkAgainstTree).
      let read: State | undefined;
      const tree = () => {
        read ??= treeState(root, path, ctx.limits.max_file_bytes);
        return read;
      };
      const tip = ctx.tip?.(path) ?? null;
      st = { tree, projected: tip ? { exists: tip.sha !== null, sha: tip.sha, text: tip.text } : tree() };
      states.set(path, st);
    }
    return st;
  };
  const bad = new Set(problems.map((p) => p.index));
  // A request-level problem (a collision) stops here; a bad change only skips itself.
  if (bad.has(null)) return { cr: null, stale: [], left: [], problems };
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
      const result = checkAgainstTree(fc, shaped.parsed[index] ?? null, stateOf);
      if (result === STALE) stale.push(fc.path);
      const text = result === STALE ? null : result;
      if (fc.operation === "delete" || fc.operation === "rename")
        left.push({ path: fc.path, sha: null, text: null });
      if (fc.operation === "rename")
        left.push({ path: fc.new_path!, sha: fc.new_sha256 ?? fc.base_sha256 ?? null, text });
      else if (fc.operation !== "delete") left.push({ path: fc.path, sha: fc.new_sha256 ?? null, text });
    } catch (e) {
      problems.push({ index, path: fc.path, error: e as HyperionError });
    }
  });
  problems.sort((a, b) => (a.index ?? -1) - (b.index ?? -1));
  return { cr: problems.length === 0 ? shaped.cr : null, stale, left, problems };
};

/** A file as the tree holds it now. */
const treeState = (root: string, path: string, maxBytes: number): State => {
  const f = readInRepo(root, path, maxBytes);
  if (!f) return { exists: false, sha: null, text: () => null };
  // A binary file may be deleted or moved as it is; only patching it needs text.
  try {
    const text = decodeText(f.bytes, path);
    return { exists: true, sha: f.sha, text: () => text };
  } catch (e) {
    return { exists: true, sha: f.sha, text: () => null, binary: e as HyperionError };
  }
};

/** A path as the tree holds it (read on demand) and as the open changes will leave it. */
type Place = { tree: () => State; projected: State };

/** A change whose base matches neither the tree nor the projection: rebased at apply. */
const STALE = Symbol("stale");

/**
 * Checks one change against the file as the tree and the open changes leave it. Returns what it
 * leaves there (null: a delete, or a base whose content is not known), or STALE.
 */
const checkAgainstTree = (
  fc: FileChange,
  p: ParsedPatch | null,
  stateOf: (path: string) => Place,
): string | null | typeof STALE => {
  const { tree, projected } = stateOf(fc.path);
  if (fc.operation === "create") {
    if (projected.exists) {
      throw fail("E_OP_MISMATCH", `create of '${printable(fc.path)}': the file already exists`, {
        hint: "modify it instead",
        details: { path: fc.path },
      });
    }
    if (p?.copyFrom === undefined) return resultOnBase(fc, p, "");
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
      const text = src.text();
      return text === null ? null : resultOnBase(fc, p, text);
    }
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
  // A base that is the projection's known content needs no read of the tree (the same hash is
  // the same content); any other base is looked for in the tree too.
  const matches = (s: State) => s.exists && s.sha === fc.base_sha256;
  const known = matches(projected) && projected.text() !== null;
  const t = known ? null : tree();
  if (t?.binary && p !== null) throw t.binary;
  const base = t && matches(t) ? t : matches(projected) ? projected : null;
  if (base === null) return STALE;
  const text = base.text();
  return text === null ? null : resultOnBase(fc, p, text);
};

/** Validates one change request before enqueue; throws the first problem as a HyperionError. */
export const validateChangeRequest = (input: unknown, ctx: ValidateContext): Validated => {
  const r = checkChangeRequest(input, ctx);
  if (r.problems.length > 0 || !r.cr) throw r.problems[0]!.error;
  return { cr: r.cr, stale: r.stale, left: r.left };
};
