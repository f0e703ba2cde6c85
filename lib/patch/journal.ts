import { hostname } from "node:os";
import { HyperionError } from "../errors.ts";
import { SELF_START } from "../process.ts";
import {
  type ApplySql,
  type JournalRow,
  type NewModification,
  type Plan,
  type PlanFile,
  type PreImageRow,
  readyJournal,
  readyPreImage,
} from "../store/apply-sql.ts";
import { behindFailed, fail } from "./codes.ts";
import {
  ioError,
  makeDirs,
  readAt,
  removeEmptiedDirs,
  removeEmptyDirs,
  rename,
  tmpName,
  unlinkQuiet,
  writeNew,
} from "./files.ts";
import { sha256Hex } from "./hash.ts";
import { type Resolved, resolveInRepo, sameDir } from "./paths.ts";
import { type SparePool, Spares } from "./spares.ts";

/**
 * This process, as written into journal rows: host, pid and start time (pids are reused), the
 * same in every thread of it (a thread's own time origin would make its siblings look like an
 * earlier process). The start time is /proc's where there is one.
 */
export const OWNER = `${hostname()}:${process.pid}:${SELF_START ?? Math.round(performance.timeOrigin)}`;

/** One file operation of an apply or a rollback, with what the file held before. */
export type Op = {
  res: Resolved;
  op: "write" | "delete";
  content: Uint8Array | null;
  mode: number | null;
  post_sha256: string | null;
  pre: {
    existed: boolean;
    bytes: Uint8Array | null;
    sha: string | null;
    mode: number | null;
    /**
     * The change's patch, when the bytes are what an earlier change of the same unit left and the
     * patch applied to them exactly: the pre-image is stored as the patch, not the file, and
     * rebuilt by reversing it on what the change left (see rollbackChange). The unit's first
     * change on a file keeps the whole file, which is all recovery needs.
     */
    derived?: string;
  };
};

/** One change's (or rollback's) operations, journalled as one entry. */
export type Entry = {
  changeId: string;
  kind: "apply" | "rollback";
  payloadSha: string | null;
  result: unknown;
  ops: Op[];
  mods: { source: string; rows: NewModification[] };
  /** Runs inside the transaction that marks the entry done (rollback marks its apply). */
  onDone?: () => void;
  /** Directories to remove when empty once every rename is done (rollback: those its apply made). */
  dropDirs?: string[];
  /**
   * The writer's fencing check (a queue lease's token), run inside the transaction that records
   * the intent: false refuses the entry with E_LEASE_LOST before anything is written. A pending
   * intent holds its paths (busyPaths), so no later owner writes them until this entry settles.
   */
  fence?: () => boolean;
};

export type Batch = {
  root: string;
  sql: ApplySql;
  entries: Entry[];
  step: (name: string) => void;
  /** Runs inside the transaction that marks entries done, with the indexes of those it marks. */
  inCommit?: (done: number[]) => void;
  /** Spare inodes shared with the caller's other batches; by default none are kept. */
  spares?: SparePool;
};

const dirOf = (r: Resolved) => (r.missing.length === 0 ? r.dir : [r.dir, ...r.missing].join("/"));
const abs = (r: Resolved) => `${dirOf(r)}/${r.name}`;

const planOf = (root: string, e: Entry): Plan => {
  const dirs: string[] = [];
  const files: PlanFile[] = e.ops.map((o) => {
    for (let i = 1; i <= o.res.missing.length; i++)
      dirs.push([o.res.dir, ...o.res.missing.slice(0, i)].join("/"));
    return {
      path: o.res.rel,
      op: o.op,
      tmp: o.op === "write" ? tmpName() : null,
      existed: o.pre.existed,
      pre_sha256: o.pre.sha,
      pre_mode: o.pre.mode,
      post_sha256: o.post_sha256,
      post_mode: o.mode,
    };
  });
  return { files, dirs: [...new Set(dirs)].map((d) => d.slice(root.length + 1)) };
};

type Run = {
  b: Batch;
  plans: Plan[];
  ids: (number | undefined)[];
  errors: (HyperionError | null)[];
  forget: { id: number; change_id: string }[];
  checkedDirs: Map<string, boolean>;
};

const live = (r: Run, n: number) => r.ids[n] !== undefined && r.errors[n] === null;

/** Phase 1: intents and pre-images of every entry, in one transaction. */
const begin = (b: Batch): Run => {
  const { sql, root } = b;
  const plans = b.entries.map((e) => planOf(root, e));
  // Serialised and compressed before the write lock is taken (see readyJournal).
  const ready = b.entries.map((e, n) => ({
    journal: readyJournal({
      change_id: e.changeId,
      kind: e.kind,
      owner: OWNER,
      payload_sha256: e.payloadSha,
      plan: plans[n]!,
      result: e.result,
    }),
    pre: e.ops.map((o, i) =>
      readyPreImage({
        path: plans[n]!.files[i]!.path,
        existed: o.pre.existed,
        content: o.pre.derived === undefined ? o.pre.bytes : Buffer.from(o.pre.derived),
        derived: o.pre.derived !== undefined,
        mode: o.pre.mode,
        sha256: o.pre.sha,
        post_sha256: o.post_sha256,
        post_mode: o.mode,
      }),
    ),
  }));
  const r: Run = { b, plans, ids: [], errors: b.entries.map(() => null), forget: [], checkedDirs: new Map() };
  sql.immediate(() => {
    const busy = sql.busyPaths(plans.flatMap((p) => p.files.map((f) => f.path)));
    // Path -> the entry that failed there: a later entry on it was planned on that one's result.
    const failedOn = new Map<string, string>();
    b.entries.forEach((e, n) => {
      const ahead = plans[n]!.files.map((f) => failedOn.get(f.path)).find((id) => id !== undefined);
      if (ahead !== undefined) r.errors[n] = behindFailed(e.changeId, ahead);
      else admit(e, n);
      if (r.errors[n])
        for (const f of plans[n]!.files) if (!failedOn.has(f.path)) failedOn.set(f.path, ahead ?? e.changeId);
    });
    function admit(e: Entry, n: number): void {
      if (e.fence && !e.fence()) {
        r.errors[n] = fail(
          "E_LEASE_LOST",
          `the lease on ${e.changeId} was lost; its ${e.kind} was not written`,
          {
            hint: "another worker took the change over; this one drops its work",
            details: { change_id: e.changeId },
          },
        );
        return;
      }
      const hit = plans[n]!.files.find((f) => busy.has(f.path));
      if (hit) {
        const p = busy.get(hit.path)!;
        r.errors[n] = fail(
          "E_APPLY_IN_PROGRESS",
          `'${hit.path}' is being changed by ${p.kind} of ${p.change_id}`,
          {
            hint: "wait for it, or run recovery if its process died",
            details: { path: hit.path, change_id: p.change_id },
          },
        );
        return;
      }
      let id: number;
      try {
        id = sql.insertJournal(ready[n]!.journal);
      } catch (err) {
        // Another process journalled this change id since we looked (the live-entry unique index).
        if (!String((err as { code?: unknown }).code ?? err).includes("CONSTRAINT")) throw err;
        r.errors[n] = fail("E_APPLY_IN_PROGRESS", `${e.changeId} is being applied by another process`, {
          details: { change_id: e.changeId },
        });
        return;
      }
      r.ids[n] = id;
      for (const p of ready[n]!.pre) sql.insertPreImage(e.changeId, id, p);
      for (const m of e.mods.rows) sql.insertModification(e.changeId, id, e.mods.source, m);
    }
  });
  b.step("intent");
  return r;
};

// A directory swapped for a symlink since it was resolved is caught here, before any rename.
const checkDirs = (r: Run, e: Entry) => {
  for (const o of e.ops) {
    if (o.res.missing.length === 0 && !sameDir(o.res.dir, r.checkedDirs)) {
      throw fail("E_PATH_OUTSIDE_REPO", `a directory above '${o.res.rel}' changed while applying`, {
        details: { path: o.res.rel },
      });
    }
  }
};

/** A unit's entries whose temps could not be written: remove them, forget the entries, keep the error. */
const tempsFailed = (r: Run, unit: readonly number[], madeDirs: string[], err: unknown) => {
  for (const n of unit) {
    const e = r.b.entries[n]!;
    e.ops.forEach((o, i) => {
      const tmp = r.plans[n]!.files[i]!.tmp;
      try {
        if (tmp) unlinkQuiet(`${dirOf(o.res)}/${tmp}`);
      } catch {
        // Best effort: where the temp could not be written (a read-only mount) removing it fails
        // too (EROFS), and that must not hide the error that says why.
      }
    });
    r.forget.push({ id: r.ids[n]!, change_id: e.changeId });
    r.errors[n] =
      err instanceof HyperionError ? err : ioError("write a temp file for", e.ops[0]?.res.rel ?? "", err);
  }
  removeEmptyDirs(madeDirs);
};

/** A rename failed mid-unit: the intents are on record, so undo exactly as recovery would. */
const renameFailed = (r: Run, unit: readonly number[], err: unknown) => {
  const rows = unit.flatMap((n) => {
    const e = r.b.entries[n]!;
    const row = r.b.sql.latest(e.changeId, e.kind);
    return row && row.id === r.ids[n] ? [row] : [];
  });
  if (rows.length > 0)
    settle(r.b.root, r.b.sql, rows, Math.max(...unit.map((n) => maxOf(r.b.entries[n]!.ops))), "back");
  for (const n of unit) r.errors[n] = ioError("rename onto", r.b.entries[n]!.ops[0]?.res.rel ?? "", err);
};

/**
 * Items (in order) joined by the paths they share, each group in order: a stack of changes on one
 * file is one group; an item sharing no path is a group of its own. Groups come in the order of
 * their first item.
 */
const joinByPaths = <T>(items: readonly T[], paths: (t: T) => readonly string[]): T[][] => {
  const parent = items.map((_, n) => n);
  const root = (n: number): number => {
    while (parent[n] !== n) n = parent[n]!;
    return n;
  };
  const lastOn = new Map<string, number>();
  items.forEach((t, n) => {
    for (const p of paths(t)) {
      const m = lastOn.get(p);
      if (m !== undefined) parent[root(m)] = root(n);
      lastOn.set(p, n);
    }
  });
  const groups = new Map<number, T[]>();
  items.forEach((t, n) => {
    const g = groups.get(root(n));
    if (g) g.push(t);
    else groups.set(root(n), [t]);
  });
  return [...groups.values()];
};

/** Live entries in units (see joinByPaths): a unit is written once and fails as one. */
const unitsOf = (r: Run): number[][] =>
  joinByPaths(
    r.b.entries.flatMap((_, n) => (live(r, n) ? [n] : [])),
    (n) => r.plans[n]!.files.map((f) => f.path),
  );

/** A path's one write in a unit: the last entry's op on it, and whether the file was there before the first. */
type Final = { n: number; i: number; op: Op; existed: boolean };

/**
 * Writes one unit: each path's last content into a temp (into a spare where there is one), then
 * renames them over their targets once all are complete. Paths an earlier entry of the unit
 * wrote and a later one wrote again get the later content only.
 */
const writeUnit = (r: Run, unit: readonly number[], spares: SparePool): void => {
  const finals = new Map<string, Final>();
  for (const n of unit) {
    r.b.entries[n]!.ops.forEach((op, i) => {
      const path = r.plans[n]!.files[i]!.path;
      finals.set(path, { n, i, op, existed: finals.get(path)?.existed ?? op.pre.existed });
    });
  }
  const writes = [...finals.values()].sort((x, y) => x.n - y.n || x.i - y.i);
  const tmpOf = (f: Final) => `${dirOf(f.op.res)}/${r.plans[f.n]!.files[f.i]!.tmp}`;
  const madeDirs: string[] = [];
  const seenDirs = new Set<string>();
  try {
    for (const f of writes) {
      if (f.op.op !== "write") continue;
      madeDirs.push(...makeDirs(f.op.res.dir, f.op.res.missing, seenDirs));
      if (!spares.writeTemp(tmpOf(f), f.op.content!, f.op.mode!))
        writeNew(tmpOf(f), f.op.content!, f.op.mode!);
      r.b.step(`temp:${f.op.res.rel}`);
    }
    for (const n of unit) checkDirs(r, r.b.entries[n]!);
  } catch (err) {
    tempsFailed(r, unit, madeDirs, err);
    return;
  }
  r.b.step("temps");
  try {
    for (const f of writes) {
      if (f.op.op === "write") {
        if (f.existed) spares.keepReplaced(abs(f.op.res));
        rename(tmpOf(f), abs(f.op.res));
      } else spares.keepDeleted(abs(f.op.res));
      r.b.step(`rename:${f.op.res.rel}`);
    }
  } catch (err) {
    renameFailed(r, unit, err);
    return;
  }
  // Only once every rename is done: undoing a half-done entry needs the directories it had. A
  // rollback removes only the directories its apply made (dropDirs), never ones that were there.
  for (const f of writes)
    if (r.b.entries[f.n]!.kind === "apply" && f.op.op === "delete") removeEmptiedDirs(r.b.root, f.op.res.dir);
};

/** Phase 4: mark every entry that got through done, in one transaction. */
const finish = (r: Run): (HyperionError | null)[] => {
  const { b } = r;
  b.entries.forEach((e, n) => {
    if (live(r, n) && e.dropDirs) removeEmptyDirs(e.dropDirs);
  });
  b.sql.immediate(() => {
    for (const row of r.forget) b.sql.forget(row);
    const done: number[] = [];
    b.entries.forEach((e, n) => {
      if (!live(r, n)) return;
      b.sql.setState(r.ids[n]!, "applied");
      e.onDone?.();
      done.push(n);
    });
    if (done.length > 0) b.inCommit?.(done);
  });
  b.step("committed");
  return r.errors;
};

/**
 * Makes each entry's file operations atomic across crashes: intents and pre-images are committed
 * first; then, unit by unit (entries joined by shared paths, see unitsOf), temp files are written
 * beside their targets and renamed over them once all of that unit's temps are complete; then the
 * entries are marked done (with the caller's `inCommit`, in the same transaction). A crash
 * anywhere is settled by `settle` on the next start, a unit's pending entries together. Entries
 * of one batch share the two transactions and the caller's spare inodes, if any; each succeeds or
 * fails on its own, except that an entry after a failed one on a shared path fails with it.
 * Returns, per entry, null when it was applied or the error that stopped it (nothing written).
 */
export const executeAll = (b: Batch): (HyperionError | null)[] => {
  const r = begin(b);
  const spares = b.spares ?? Spares.none;
  for (const unit of unitsOf(r)) writeUnit(r, unit, spares);
  return finish(r);
};

/** One entry on its own; throws what stopped it. */
export const execute = (b: Omit<Batch, "entries">, e: Entry): void => {
  const err = executeAll({ ...b, entries: [e] })[0];
  if (err) throw err;
};

const maxOf = (ops: readonly Op[]) =>
  Math.max(1, ...ops.map((o) => Math.max(o.content?.length ?? 0, o.pre.bytes?.length ?? 0)));

type Seen = { file: PlanFile; target: string | null; dir: string | null; tmpOk: boolean };

/**
 * One unit's files as one plan: each path as the first entry found it (existed, pre) and as the
 * last leaves it (op, temp, post). For a single entry, its own plan.
 */
const mergedFiles = (rows: readonly JournalRow[]): PlanFile[] => {
  const files = new Map<string, PlanFile>();
  for (const row of rows) {
    for (const f of row.plan.files) {
      const first = files.get(f.path);
      files.set(
        f.path,
        first ? { ...f, existed: first.existed, pre_sha256: first.pre_sha256, pre_mode: first.pre_mode } : f,
      );
    }
  }
  return [...files.values()];
};

/**
 * Finishes or undoes one unit of pending journal entries (one entry, or a stack written once,
 * see unitsOf), oldest first. Forward when every file already holds its new content or has a
 * complete temp file (temps are all written before the first rename, so one missing temp means
 * nothing was renamed yet); otherwise back, restoring pre-images. Returns which way it went, or
 * "stuck" when a file holds neither the old nor the new content.
 */
export const settle = (
  root: string,
  sql: ApplySql,
  rows: readonly JournalRow[],
  maxBytes: number,
  prefer: "forward" | "back" = "forward",
): "forward" | "back" | "stuck" => {
  const seen: Seen[] = mergedFiles(rows).map((file) => {
    let res: Resolved;
    try {
      res = resolveInRepo(root, file.path);
    } catch {
      return { file, target: "?", dir: null, tmpOk: false };
    }
    if (res.missing.length > 0) return { file, target: null, dir: null, tmpOk: false };
    const cur = safeRead(abs(res), file.path, maxBytes);
    const tmp = file.tmp ? safeRead(`${res.dir}/${file.tmp}`, file.path, maxBytes) : null;
    return { file, target: cur, dir: res.dir, tmpOk: tmp !== null && tmp === file.post_sha256 };
  });
  const isPre = (s: Seen) => s.target === (s.file.existed ? s.file.pre_sha256 : null);
  const isPost = (s: Seen) => s.target === s.file.post_sha256;
  if (seen.some((s) => !isPre(s) && !isPost(s))) return "stuck";
  const dirs = [...new Set(rows.flatMap((row) => row.plan.dirs))].map((d) => `${root}/${d}`);

  const forward =
    prefer === "forward" && seen.every((s) => isPost(s) || (s.file.op === "write" ? s.tmpOk : true));
  if (forward) {
    for (const s of seen) {
      if (isPost(s)) continue;
      if (s.file.op === "write") rename(`${s.dir}/${s.file.tmp}`, `${s.dir}/${s.file.path.split("/").pop()}`);
      else unlinkQuiet(`${s.dir}/${s.file.path.split("/").pop()}`);
    }
    if (rows[0]!.kind === "apply")
      for (const s of seen) if (s.file.op === "delete" && s.dir !== null) removeEmptiedDirs(root, s.dir);
    // A rollback is never stacked: its unit is itself.
    const applied = rows[0]!.kind === "rollback" ? sql.latest(rows[0]!.change_id, "apply") : null;
    sql.immediate(() => {
      for (const row of rows) sql.setState(row.id, "applied");
      if (applied?.state === "applied") sql.setState(applied.id, "rolled_back");
    });
    // A finished rollback also removes the directories its apply had created, as rollbackChange does.
    if (applied) removeEmptyDirs(applied.plan.dirs.map((d) => `${root}/${d}`));
    return "forward";
  }
  // Each path's pre-image is the one of the entry that touched it first.
  const pre = new Map<string, PreImageRow>();
  for (const row of rows) for (const p of sql.preImages(row)) if (!pre.has(p.path)) pre.set(p.path, p);
  if (seen.some((s) => s.file.existed && !isPre(s) && !pre.has(s.file.path))) return "stuck";
  // A pre-image that does not hash to the recorded one is never written back.
  const intact = (s: Seen) => {
    const image = pre.get(s.file.path);
    return !image || sha256Hex(image.content ?? new Uint8Array()) === s.file.pre_sha256;
  };
  if (seen.some((s) => s.file.existed && !isPre(s) && s.dir !== null && !intact(s))) return "stuck";
  for (const row of rows) {
    for (const f of row.plan.files) {
      if (!f.tmp) continue;
      try {
        const res = resolveInRepo(root, f.path);
        if (res.missing.length === 0) unlinkQuiet(`${res.dir}/${f.tmp}`);
      } catch {
        // A path that no longer resolves holds no temp of ours.
      }
    }
  }
  for (const s of seen) {
    if (isPre(s) || s.dir === null) continue;
    const name = `${s.dir}/${s.file.path.split("/").pop()}`;
    const image = pre.get(s.file.path);
    if (s.file.existed && image) {
      const tmp = `${s.dir}/${tmpName()}`;
      writeNew(tmp, image.content ?? new Uint8Array(), image.mode ?? 0o644);
      rename(tmp, name);
    } else unlinkQuiet(name);
  }
  // Undone, an apply or a rollback leaves no directory its writes had to make.
  removeEmptyDirs(dirs);
  sql.immediate(() => {
    for (const row of rows) {
      sql.dropRows(row);
      sql.setState(row.id, "aborted");
    }
  });
  return "back";
};

/**
 * Pending entries in units, each oldest first (see joinByPaths): only one batch's entries share a
 * path while pending, since a pending entry holds its paths against every other writer.
 */
export const pendingUnits = (rows: readonly JournalRow[]): JournalRow[][] =>
  joinByPaths(
    [...rows].sort((x, y) => x.id - y.id),
    (row) => row.plan.files.map((f) => f.path),
  );

const safeRead = (path: string, rel: string, maxBytes: number): string | null => {
  try {
    return readAt(path, rel, maxBytes)?.sha ?? null;
  } catch {
    return "?";
  }
};
