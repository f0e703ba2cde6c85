import { hostname } from "node:os";
import { HyperionError } from "../errors.ts";
import { SELF_START } from "../process.ts";
import {
  type ApplySql,
  type JournalRow,
  type NewModification,
  type Plan,
  type PlanFile,
  readyJournal,
  readyPreImage,
} from "../store/apply-sql.ts";
import { fail } from "./codes.ts";
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
  pre: { existed: boolean; bytes: Uint8Array | null; sha: string | null; mode: number | null };
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
        content: o.pre.bytes,
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
    b.entries.forEach((e, n) => {
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
    });
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

/** An entry whose temps could not be written: remove them, forget the entry, keep its error. */
const tempsFailed = (r: Run, n: number, madeDirs: string[], err: unknown) => {
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
  removeEmptyDirs(madeDirs);
  r.forget.push({ id: r.ids[n]!, change_id: e.changeId });
  r.errors[n] =
    err instanceof HyperionError ? err : ioError("write a temp file for", e.ops[0]?.res.rel ?? "", err);
};

/** A rename failed mid-entry: the intent is on record, so undo exactly as recovery would. */
const renameFailed = (r: Run, n: number, err: unknown) => {
  const e = r.b.entries[n]!;
  const row = r.b.sql.latest(e.changeId, e.kind);
  if (row && row.id === r.ids[n]) settle(r.b.root, r.b.sql, row, maxOf(e.ops), "back");
  r.errors[n] = ioError("rename onto", e.ops[0]?.res.rel ?? "", err);
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

/** Writes one entry's temps (into spares where there are some), then renames them over their targets. */
const writeEntry = (r: Run, n: number, spares: SparePool): void => {
  const e = r.b.entries[n]!;
  const files = r.plans[n]!.files;
  const madeDirs: string[] = [];
  try {
    e.ops.forEach((o, i) => {
      if (o.op !== "write") return;
      madeDirs.push(...makeDirs(o.res.dir, o.res.missing));
      const tmp = `${dirOf(o.res)}/${files[i]!.tmp}`;
      if (!spares.writeTemp(tmp, o.content!, o.mode!)) writeNew(tmp, o.content!, o.mode!);
      r.b.step(`temp:${o.res.rel}`);
    });
    checkDirs(r, e);
  } catch (err) {
    tempsFailed(r, n, madeDirs, err);
    return;
  }
  r.b.step("temps");
  try {
    e.ops.forEach((o, i) => {
      if (o.op === "write") {
        if (o.pre.existed) spares.keepReplaced(abs(o.res));
        rename(`${dirOf(o.res)}/${files[i]!.tmp}`, abs(o.res));
      } else spares.keepDeleted(abs(o.res));
      r.b.step(`rename:${o.res.rel}`);
    });
  } catch (err) {
    renameFailed(r, n, err);
    return;
  }
  // Only once every rename is done: undoing a half-done entry needs the directories it had. A
  // rollback removes only the directories its apply made (dropDirs), never ones that were there.
  if (e.kind === "apply")
    for (const o of e.ops) if (o.op === "delete") removeEmptiedDirs(r.b.root, o.res.dir);
};

/**
 * Makes each entry's file operations atomic across crashes: intents and pre-images are committed
 * first; then, entry by entry, temp files are written beside their targets and renamed over them
 * once all of that entry's temps are complete; then the entries are marked done (with the
 * caller's `inCommit`, in the same transaction). A crash anywhere is settled by `settle` on the
 * next start. Entries of one batch (disjoint paths) share the two transactions and the caller's
 * spare inodes, if any; each succeeds or fails on its own.
 * Returns, per entry, null when it was applied or the error that stopped it (nothing written).
 */
export const executeAll = (b: Batch): (HyperionError | null)[] => {
  const r = begin(b);
  const spares = b.spares ?? Spares.none;
  b.entries.forEach((_, n) => {
    if (live(r, n)) writeEntry(r, n, spares);
  });
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
 * Finishes or undoes one pending journal entry. Forward when every file already holds its new
 * content or has a complete temp file (temps are all written before the first rename, so one
 * missing temp means nothing was renamed yet); otherwise back, restoring pre-images. Returns
 * which way it went, or "stuck" when a file holds neither the old nor the new content.
 */
export const settle = (
  root: string,
  sql: ApplySql,
  row: JournalRow,
  maxBytes: number,
  prefer: "forward" | "back" = "forward",
): "forward" | "back" | "stuck" => {
  const seen: Seen[] = row.plan.files.map((file) => {
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

  const forward =
    prefer === "forward" && seen.every((s) => isPost(s) || (s.file.op === "write" ? s.tmpOk : true));
  if (forward) {
    for (const s of seen) {
      if (isPost(s)) continue;
      if (s.file.op === "write") rename(`${s.dir}/${s.file.tmp}`, `${s.dir}/${s.file.path.split("/").pop()}`);
      else unlinkQuiet(`${s.dir}/${s.file.path.split("/").pop()}`);
    }
    if (row.kind === "apply")
      for (const s of seen) if (s.file.op === "delete" && s.dir !== null) removeEmptiedDirs(root, s.dir);
    const applied = row.kind === "rollback" ? sql.latest(row.change_id, "apply") : null;
    sql.immediate(() => {
      sql.setState(row.id, "applied");
      if (applied?.state === "applied") sql.setState(applied.id, "rolled_back");
    });
    // A finished rollback also removes the directories its apply had created, as rollbackChange does.
    if (applied) removeEmptyDirs(applied.plan.dirs.map((d) => `${root}/${d}`));
    return "forward";
  }
  const pre = new Map(sql.preImages(row).map((p) => [p.path, p]));
  if (seen.some((s) => s.file.existed && !isPre(s) && !pre.has(s.file.path))) return "stuck";
  // A pre-image that does not hash to the recorded one is never written back.
  const intact = (s: Seen) => {
    const image = pre.get(s.file.path);
    return !image || sha256Hex(image.content ?? new Uint8Array()) === s.file.pre_sha256;
  };
  if (seen.some((s) => s.file.existed && !isPre(s) && s.dir !== null && !intact(s))) return "stuck";
  for (const s of seen) {
    if (s.dir !== null && s.file.tmp) unlinkQuiet(`${s.dir}/${s.file.tmp}`);
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
  removeEmptyDirs(row.plan.dirs.map((d) => `${root}/${d}`));
  sql.immediate(() => {
    sql.dropRows(row);
    sql.setState(row.id, "aborted");
  });
  return "back";
};

const safeRead = (path: string, rel: string, maxBytes: number): string | null => {
  try {
    return readAt(path, rel, maxBytes)?.sha ?? null;
  } catch {
    return "?";
  }
};
