import type { Database } from "bun:sqlite";
import { z } from "zod";
import { HyperionError } from "../errors.ts";
import { type ChangeRequest, defaultConfig, type FileChange } from "../schema/index.ts";
import { type ApplySql, applySql, type NewModification, type Prior } from "../store/apply-sql.ts";
import { repositoryId } from "../store/identity.ts";
import { behindFailed, fail } from "./codes.ts";
import { type FileState, readResolved } from "./files.ts";
import { sha256Hex } from "./hash.ts";
import { type Batch, type Entry, executeAll, type Op, OWNER } from "./journal.ts";
import type { ParsedPatch } from "./parse.ts";
import { fileKey, printable, type Resolved, realRoot, resolveInRepo } from "./paths.ts";
import { rebase } from "./rebase.ts";
import { resultOnBase } from "./result.ts";
import { type Limits, shapeRequest } from "./shape.ts";
import { verifyPayload } from "./sign.ts";
import { type SparePool, Spares } from "./spares.ts";
import { decodeText } from "./text.ts";

/** What applyChange needs: the tree, the store, the signing key and one queue row. */
export type ApplyContext = {
  repo: string;
  db: Database;
  /** The repository's signing secret (.hyperion/secret). */
  secret: Uint8Array;
  /** A queue row: the payload as stored and its signature. */
  change: { id: string; payload: string; signature: string };
  limits?: Limits;
  /** Test hook, called after each step ("verified", "planned", "intent", "temp:<path>", "temps", "rename:<path>", "committed"). */
  onStep?: (step: string) => void;
  /** The writer's fencing check for one change (see Entry.fence): false and nothing is written. */
  fence?: (changeId: string) => boolean;
};

/** One file an apply wrote. */
export const AppliedFile = z.object({
  path: z.string(),
  op: z.enum(["create", "modify", "delete", "rename"]),
  added: z.number().int(),
  removed: z.number().int(),
  new_path: z.string().optional(),
});
export type AppliedFile = z.infer<typeof AppliedFile>;

/** What applyChange returns; also kept in the journal and parsed when read back. */
export const ApplyResult = z.object({
  files: z.array(AppliedFile),
  /** True when some file had changed since the patch was made and was rebased. */
  rebased: z.boolean(),
  /** How each rebased path was placed: offset, fuzz, merge3, or moved as it is. */
  rebases: z.record(z.string(), z.string()).optional(),
  /** True when this payload had already been applied (a retry after a crash): nothing was written. */
  already: z.boolean().optional(),
});
export type ApplyResult = z.infer<typeof ApplyResult>;

/** A queue row as applyChanges takes it. */
export type ChangeRow = { id: string; payload: string; signature: string };

/** applyChange's context with many queue rows, in queue order. */
export type ApplyManyContext = Omit<ApplyContext, "change"> & {
  changes: readonly ChangeRow[];
  /** At most this many changes to a group (default: as many as have disjoint paths). */
  batch?: number;
  /**
   * Runs inside the transaction that records a group of changes as applied, with those changes:
   * a caller's own bookkeeping (the queue's completion) commits with them, one transaction fewer.
   */
  inCommit?: (applied: { id: string; result: ApplyResult }[]) => void;
  /**
   * A long-lived caller's spare inodes (see Spares), kept across its calls and dropped by it;
   * by default each call keeps its own and drops them at its end.
   */
  spares?: SparePool;
};

/** One change's outcome in a batch: its result, or the error that left it unapplied. */
export type ApplyOutcome =
  | { id: string; ok: true; result: ApplyResult }
  | { id: string; ok: false; error: HyperionError };

const encoder = new TextEncoder();

type Checked = { row: ChangeRow; cr: ChangeRequest; parsed: (ParsedPatch | null)[]; payloadSha: string };

/**
 * Who the payload must be signed for, and the database's memory of decisions and applies (read
 * once for every change of the call).
 */
type Trust = {
  secret: Uint8Array;
  repository: string;
  decisions: ReturnType<ApplySql["decisions"]>;
  applied: ReturnType<ApplySql["appliedBefore"]>;
};

/**
 * Signature (bound to this repository and change id), a person's approval (bound to this
 * payload), schema, structure, and the journal's memory of this change id.
 */
const check = (
  prior: Prior | undefined,
  trust: Trust,
  row: ChangeRow,
  limits: Limits,
): Checked | ApplyResult => {
  if (!verifyPayload(trust.secret, { repository: trust.repository, ...row }, row.signature)) {
    throw fail("E_SIGNATURE", `the stored payload of ${row.id} does not match its signature`, {
      hint: "the row was edited, copied from another repository or signed with another key; enqueue the change again",
      details: { change_id: row.id },
    });
  }
  const decision = trust.decisions.get(row.id);
  if (decision?.decision === "approved" && decision.payload_sha256 !== sha256Hex(row.payload)) {
    throw fail("E_APPROVAL_STALE", `${row.id} was approved for another payload than the one stored now`, {
      hint: "review the change as it is (`hyperion summary`) and enqueue it again",
      details: { change_id: row.id, approved_sha256: decision.payload_sha256 },
    });
  }
  let input: unknown;
  try {
    input = JSON.parse(row.payload);
  } catch {
    throw fail("E_SCHEMA", `the payload of ${row.id} is not JSON`);
  }
  const { shaped, problems } = shapeRequest(input, limits);
  if (!shaped || problems.length > 0) throw problems[0]!.error;
  if (shaped.cr.id !== row.id) {
    throw fail("E_SCHEMA", `the payload's id '${shaped.cr.id ?? ""}' is not the queue row's id '${row.id}'`, {
      details: { change_id: row.id },
    });
  }
  const payloadSha = sha256Hex(row.payload);
  if (prior?.state === "pending") {
    throw fail("E_APPLY_IN_PROGRESS", `${row.id} is being applied, or awaits recovery after a crash`, {
      hint: "run recovery (`recoverApplies`) at start",
      details: { change_id: row.id },
    });
  }
  if (prior?.state === "applied") {
    if (prior.payload_sha256 !== payloadSha) {
      throw fail("E_ALREADY_APPLIED", `a change ${row.id} was already applied from another payload`, {
        details: { change_id: row.id },
      });
    }
    let stored: unknown;
    try {
      stored = JSON.parse(prior.result ?? "null");
    } catch {
      stored = undefined;
    }
    const recorded = ApplyResult.safeParse(stored);
    if (!recorded.success) {
      throw fail("E_ALREADY_APPLIED", `${row.id} is applied, but its recorded result is unreadable`, {
        details: { change_id: row.id },
      });
    }
    return { ...recorded.data, already: true };
  }
  if (trust.applied.has(`${row.id} ${payloadSha}`)) {
    throw fail(
      "E_REPLAYED",
      `${row.id} was applied from this payload before; a re-inserted row never applies again`,
      {
        hint: "make a new change against the tree as it is",
        details: { change_id: row.id },
      },
    );
  }
  return { row, cr: shaped.cr, parsed: shaped.parsed, payloadSha };
};

/** A path's state as a change of a group finds it: on disk, or left by an earlier change of the group. */
type Reader = (res: Resolved) => FileState | null;

/** Reads the tree and computes every file's new content (rebasing stale ones): the journal entry. */
const plan = (
  root: string,
  sql: ApplySql,
  c: Checked,
  limits: Limits,
  cache: Map<string, string>,
  read: Reader,
): { entry: Entry; result: ApplyResult } => {
  const ops: Op[] = [];
  const mods: NewModification[] = [];
  const files: AppliedFile[] = [];
  const rebases: Record<string, string> = {};
  c.cr.changes.forEach((fc, i) => {
    const p = c.parsed[i] ?? null;
    const src = resolveInRepo(root, fc.path, { cache, checkFile: false });
    const cur = read(src);
    const counts = { added: p?.added ?? 0, removed: p?.removed ?? 0 };
    if (fc.operation === "create") {
      if (cur?.sha === fc.new_sha256) throw alreadyApplied(fc.path);
      if (cur) throw conflict(fc.path, "was created since the change was made");
      const w = write(
        src,
        encoder.encode(
          resultOnBase(fc, p, p?.copyFrom === undefined ? "" : copySource(root, p.copyFrom, cache, read))!,
        ),
        p?.newMode ?? 0o644,
        null,
        fc.new_sha256,
      );
      ops.push(w);
      mods.push(mod(fc.path, "create", null, null, w.post_sha256, counts));
      files.push({ path: fc.path, op: "create", ...counts });
      return;
    }
    if (!cur) throw conflict(fc.path, "was deleted since the change was made");
    if (fc.operation === "delete") {
      if (cur.sha !== fc.base_sha256) {
        throw conflict(fc.path, "changed since the change was made; deleting it would lose those edits");
      }
      if (p) resultOnBase(fc, p, decodeText(cur.bytes, fc.path));
      ops.push({ res: src, op: "delete", content: null, mode: null, post_sha256: null, pre: pre(cur) });
      mods.push(mod(fc.path, "delete", null, cur.sha, null, counts));
      files.push({ path: fc.path, op: "delete", ...counts });
      return;
    }
    const { bytes: content, sha } = newContent(fc, p, cur, sql.contentBySha, limits, (how) => {
      rebases[fc.path] = how;
    });
    if (fc.operation === "modify") {
      const w = write(src, content, p?.newMode ?? cur.mode, cur, sha);
      // On a file an earlier change of the group left, applied exactly: its pre-image is derived.
      if (cur.held && p !== null && p.hunks.length > 0 && rebases[fc.path] === undefined)
        w.pre.derived = fc.patch;
      ops.push(w);
      mods.push(mod(fc.path, "modify", null, cur.sha, w.post_sha256, counts));
      files.push({ path: fc.path, op: "modify", ...counts });
      return;
    }
    const dst = resolveInRepo(root, fc.new_path!, { cache, checkFile: false });
    if (read(dst)) {
      throw conflict(fc.new_path!, "already exists; the rename would overwrite it");
    }
    ops.push({ res: src, op: "delete", content: null, mode: null, post_sha256: null, pre: pre(cur) });
    const w = write(dst, content, p?.newMode ?? cur.mode, null, sha);
    ops.push(w);
    // Audited under both paths, so a search by either finds the rename (`file-mods --path`).
    mods.push(mod(fc.path, "rename", fc.new_path!, cur.sha, w.post_sha256, counts));
    mods.push(mod(fc.new_path!, "rename_target", null, null, w.post_sha256, counts));
    files.push({ path: fc.path, op: "rename", new_path: fc.new_path!, ...counts });
  });
  // The limit bounds what a change leaves in the tree, not only what it reads: a patch may grow a file past it.
  for (const o of ops) {
    if (o.content !== null && o.content.length > limits.max_file_bytes) {
      throw fail(
        "E_TOO_LARGE",
        `'${printable(o.res.rel)}' would be ${o.content.length} bytes, over the ${limits.max_file_bytes}-byte file limit`,
        {
          hint: "raise limits.max_file_bytes in .hyperion/config.json",
          details: { path: o.res.rel, size: o.content.length },
        },
      );
    }
  }
  const result: ApplyResult = { files, rebased: Object.keys(rebases).length > 0 };
  if (result.rebased) result.rebases = rebases;
  return {
    result,
    entry: {
      changeId: c.row.id,
      kind: "apply",
      payloadSha: c.payloadSha,
      result,
      ops,
      mods: { source: "apply", rows: mods },
    },
  };
};

/** A change's own failure; anything else it threw while checked or planned fails it alone too. */
const asError = (id: string, e: unknown): HyperionError =>
  e instanceof HyperionError
    ? e
    : fail("E_APPLY_FAILED", `applying ${id} threw: ${String((e as Error)?.message ?? e).slice(0, 300)}`, {
        details: { change_id: id },
      });

type Planned = { at: number; id: string; entry: Entry; result: ApplyResult };
/** A planned group for the journal, and where its outcomes go. */
type Group = { exec: Batch; done: (errors: (HyperionError | null)[]) => void };

/** The same bytes as a Buffer, not copied (what a later change of the group reads). */
const asBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** The keys of every path a change touches (a rename's both). */
const keysOf = (cr: ChangeRequest): string[] =>
  cr.changes.flatMap((fc) => (fc.new_path ? [fc.path, fc.new_path] : [fc.path])).map(fileKey);

/**
 * The file keys of a payload's paths, as far as it reads (none for one that does not parse: it
 * fails on its own); for a change that failed its checks, so that those behind it wait.
 */
export const payloadKeys = (payload: string): string[] => {
  try {
    const changes: unknown = JSON.parse(payload)?.changes;
    if (!Array.isArray(changes)) return [];
    return changes
      .flatMap((fc) => [fc?.path, fc?.new_path])
      .filter((p): p is string => typeof p === "string")
      .map(fileKey);
  } catch {
    return [];
  }
};

/**
 * Checks each change and gathers them into groups of at most `ctx.batch`; each group is planned
 * (files read, contents computed) when it is complete and handed over to be written. Within a
 * group a change on a path an earlier one writes (a stack) is planned on that one's result, held
 * in memory, so the journal writes each file once per group. The next group is planned only
 * after that, so it reads what the group before it wrote. A change behind one that failed in
 * this call (on any of its paths) is not attempted (E_BEHIND_FAILED).
 */
function* groups(ctx: ApplyManyContext, out: ApplyOutcome[]): Generator<Group, void, void> {
  const maxBatch = ctx.batch ?? Number.POSITIVE_INFINITY;
  const step = ctx.onStep ?? (() => {});
  const limits = ctx.limits ?? defaultConfig().limits;
  const sql = applySql(ctx.db);
  const root = realRoot(ctx.repo);
  /** Path key -> the change that failed there (or stands behind one that did) in this call. */
  const failedOn = new Map<string, string>();
  const failed = (at: number, id: string, keys: readonly string[], error: HyperionError) => {
    out[at] = { id, ok: false, error };
    const ahead = error.code === "E_BEHIND_FAILED" ? String(error.details?.after) : id;
    for (const k of keys) if (!failedOn.has(k)) failedOn.set(k, ahead);
  };
  let batch: { c: Checked; at: number; keys: string[] }[] = [];
  /** Key -> the spelling the group being gathered uses for it. */
  const spelled = new Map<string, string>();
  function* flush(): Generator<Group, void, void> {
    const planned: (Planned & { keys: string[] })[] = [];
    const cache = new Map<string, string>();
    // What the group's earlier changes leave at each path key (null: deleted).
    const view = new Map<string, FileState | null>();
    const read: Reader = (res) =>
      view.has(res.rel) ? view.get(res.rel)! : readResolved(res, limits.max_file_bytes);
    for (const { c, at, keys } of batch) {
      const ahead = keys.map((k) => failedOn.get(k)).find((id) => id !== undefined);
      if (ahead !== undefined) {
        failed(at, c.row.id, keys, behindFailed(c.row.id, ahead));
        continue;
      }
      try {
        const p = plan(root, sql, c, limits, cache, read);
        const fence = ctx.fence;
        if (fence) p.entry.fence = () => fence(c.row.id);
        planned.push({ at, id: c.row.id, keys, ...p });
        for (const o of p.entry.ops) {
          view.set(
            o.res.rel,
            o.op === "write"
              ? { bytes: asBuffer(o.content!), mode: o.mode!, sha: o.post_sha256!, held: true }
              : null,
          );
        }
      } catch (e) {
        failed(at, c.row.id, keys, asError(c.row.id, e));
      }
    }
    batch = [];
    spelled.clear();
    step("planned");
    if (planned.length === 0) return;
    yield {
      exec: {
        root,
        sql,
        step,
        entries: planned.map((p) => p.entry),
        inCommit: ctx.inCommit && ((done) => ctx.inCommit!(done.map((n) => planned[n]!))),
      },
      done: (errors) => {
        planned.forEach((p, n) => {
          const error = errors[n];
          if (error) failed(p.at, p.id, p.keys, error);
          else out[p.at] = { id: p.id, ok: true, result: p.result };
        });
      },
    };
  }
  const ids = new Set<string>();
  const all = ctx.changes.map((r) => r.id);
  const priors = sql.priors(all);
  const trust: Trust = {
    secret: ctx.secret,
    repository: repositoryId(ctx.db),
    decisions: sql.decisions(all),
    applied: sql.appliedBefore(all),
  };
  for (let at = 0; at < ctx.changes.length; at++) {
    const row = ctx.changes[at]!;
    let c: Checked | ApplyResult;
    try {
      if (ids.has(row.id)) throw fail("E_SCHEMA", `change ${row.id} appears twice in one batch`);
      ids.add(row.id);
      c = check(priors.get(row.id), trust, row, limits);
    } catch (e) {
      failed(at, row.id, payloadKeys(row.payload), asError(row.id, e));
      continue;
    }
    step("verified");
    if (!("row" in c)) {
      out[at] = { id: row.id, ok: true, result: c };
      continue;
    }
    // A stack is planned on the group's own result only under one spelling: two spellings of
    // one key are one file on a case-insensitive file system, two on others; the next group
    // reads whichever it is from disk.
    const names = c.cr.changes.flatMap((fc) => (fc.new_path ? [fc.path, fc.new_path] : [fc.path]));
    if (names.some((n) => (spelled.get(fileKey(n)) ?? n) !== n)) yield* flush();
    batch.push({ c, at, keys: keysOf(c.cr) });
    for (const n of names) spelled.set(fileKey(n), n);
    if (batch.length >= maxBatch) yield* flush();
  }
  if (batch.length > 0) yield* flush();
}

/**
 * Applies many signed changes in queue order, each atomically and on its own (one failing leaves
 * the others applied, except those stacked behind it in the call, which are not attempted).
 * Changes are grouped (at most `batch` to a group) and a group shares the journal's two
 * transactions, as one `git apply` call shares one process; a file several changes of a group
 * write is written once, with their last result (see executeAll). The inodes of replaced files
 * are reused for later temps across the whole call (see Spares), unless `limits.reuse_inodes` is
 * off.
 */
export const applyChanges = (ctx: ApplyManyContext): ApplyOutcome[] => {
  const out: ApplyOutcome[] = new Array(ctx.changes.length);
  // One change has nothing to reuse: its temps are all written before its first rename.
  const reuse = ctx.changes.length > 1 && (ctx.limits ?? defaultConfig().limits).reuse_inodes;
  const own = ctx.spares ? null : reuse ? new Spares(realRoot(ctx.repo), OWNER) : Spares.none;
  const spares = ctx.spares ?? own!;
  try {
    for (const group of groups(ctx, out)) {
      group.done(executeAll({ ...group.exec, spares }));
    }
  } finally {
    own?.drop();
  }
  return out;
};

/**
 * Spare inodes for a long-lived caller's applies (pass as `spares`, drop when done); none when
 * `limits.reuse_inodes` is off.
 */
export const sparePool = (repo: string, limits: Limits): SparePool =>
  limits.reuse_inodes ? new Spares(realRoot(repo), OWNER) : Spares.none;

/**
 * Applies one signed change request to the working tree, all files or none. Verifies the
 * signature, validates again (paths are re-resolved: a directory may have become a symlink),
 * rebases files whose base changed, then writes through the journal. On any error the tree and
 * database are left as they were, and the error is thrown.
 */
export const applyChange = (ctx: ApplyContext): ApplyResult => {
  const [o] = applyChanges({ ...ctx, changes: [ctx.change] });
  if (!o!.ok) throw o!.error;
  return o!.result;
};

/** The text a git copy starts from: its source as the tree holds it now. */
const copySource = (root: string, from: string, cache: Map<string, string>, read: Reader): string => {
  const src = read(resolveInRepo(root, from, { cache, checkFile: false }));
  if (!src) throw conflict(from, "(the copy's source) was deleted since the change was made");
  return decodeText(src.bytes, from);
};

const alreadyApplied = (path: string) =>
  fail("E_ALREADY_APPLIED", `'${printable(path)}' already holds this change's result`, {
    hint: "the change (or a copy of it) was applied already; nothing was written",
    details: { path },
  });

const conflict = (path: string, why: string) =>
  fail("E_CONFLICT", `'${printable(path)}' ${why}`, {
    hint: "make the change again against the tree as it is",
    details: { path },
  });

const pre = (cur: FileState): Op["pre"] => ({
  existed: true,
  bytes: cur.bytes,
  sha: cur.sha,
  mode: cur.mode,
});

/** A write of `bytes`; `sha` when already known (an exact apply verified it against new_sha256). */
const write = (res: Op["res"], bytes: Uint8Array, mode: number, cur: FileState | null, sha?: string): Op => ({
  res,
  op: "write",
  content: bytes,
  mode,
  post_sha256: sha ?? sha256Hex(bytes),
  pre: cur ? pre(cur) : { existed: false, bytes: null, sha: null, mode: null },
});

const mod = (
  path: string,
  kind: string,
  newPath: string | null,
  before: string | null,
  after: string | null,
  counts: { added: number; removed: number },
): NewModification => ({
  path,
  kind,
  new_path: newPath,
  sha256_before: before,
  sha256_after: after,
  ...counts,
});

/** A modify's or rename's new bytes: exact on a matching base, else rebased onto the file as it is. */
const newContent = (
  fc: FileChange,
  p: ParsedPatch | null,
  cur: FileState,
  contentBySha: (sha: string) => Uint8Array | null,
  limits: Limits,
  rebased: (how: string) => void,
): { bytes: Uint8Array; sha?: string } => {
  const baseSha = fc.base_sha256!;
  if (p === null) {
    if (cur.sha !== baseSha) rebased("moved as it is");
    return { bytes: cur.bytes, sha: cur.sha };
  }
  // The file already holds this change's result (a copy of it applied under another id).
  if (cur.sha !== baseSha && cur.sha === fc.new_sha256 && fc.new_sha256 !== baseSha)
    throw alreadyApplied(fc.path);
  const text = decodeText(cur.bytes, fc.path);
  if (cur.sha === baseSha) return { bytes: encoder.encode(resultOnBase(fc, p, text)!), sha: fc.new_sha256 };
  const baseBytes = contentBySha(baseSha);
  // Pre-image rows are untrusted like any row: the content must still hash to what it claims.
  const base = baseBytes && sha256Hex(baseBytes) === baseSha ? decodeText(baseBytes, fc.path) : undefined;
  const out = rebase(fc.path, text, p, base, limits.rebase_fuzz);
  rebased(out.how);
  return { bytes: encoder.encode(out.content) };
};
