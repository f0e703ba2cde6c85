import type { Database } from "bun:sqlite";
import { z } from "zod";
import { HyperionError } from "../errors.ts";
import { fileKey } from "../schema/change-paths.ts";
import { writeTx } from "./write-tx.ts";

/** One file of a journalled apply: enough to finish it or undo it after a crash. */
export const PlanFile = z.strictObject({
  path: z.string().min(1),
  /** write: rename `tmp` over `path`; delete: unlink `path`. */
  op: z.enum(["write", "delete"]),
  /** Temp file's name beside the target (writes only). */
  tmp: z.string().nullable(),
  existed: z.boolean(),
  pre_sha256: z.string().nullable(),
  pre_mode: z.number().int().nullable(),
  post_sha256: z.string().nullable(),
  post_mode: z.number().int().nullable(),
});
export type PlanFile = z.infer<typeof PlanFile>;

export const Plan = z.strictObject({
  files: z.array(PlanFile),
  /** Directories the apply created, shallowest first; removed again by rollback when empty. */
  dirs: z.array(z.string()),
});
export type Plan = z.infer<typeof Plan>;

export const JOURNAL_STATES = ["pending", "applied", "aborted", "rolled_back"] as const;
export type JournalState = (typeof JOURNAL_STATES)[number];

/** An apply_journal row as read back: parsed, because rows on disk could have been edited. */
export const JournalRow = z.object({
  id: z.number().int(),
  change_id: z.string(),
  kind: z.enum(["apply", "rollback"]),
  state: z.enum(JOURNAL_STATES),
  owner: z.string(),
  payload_sha256: z.string().nullable(),
  plan: z.string().transform((s, ctx) => {
    let json: unknown;
    try {
      json = JSON.parse(s);
    } catch {
      json = undefined;
    }
    const parsed = Plan.safeParse(json);
    if (!parsed.success) {
      ctx.addIssue({ code: "custom", message: "apply_journal.plan does not parse" });
      return z.NEVER;
    }
    return parsed.data;
  }),
  result: z.string().nullable(),
  created_at: z.number().int(),
});
export type JournalRow = z.infer<typeof JournalRow>;

export const PreImageRow = z.object({
  path: z.string(),
  existed: z.number().int(),
  content: z.instanceof(Uint8Array).nullable(),
  mode: z.number().int().nullable(),
  sha256: z.string().nullable(),
  post_sha256: z.string().nullable(),
  post_mode: z.number().int().nullable(),
  /** 1: `content` is the change's patch for the path, reversed on what it left to rebuild the pre-image (see Op.pre.derived). */
  derived: z.number().int(),
});
export type PreImageRow = z.infer<typeof PreImageRow>;

/** What the journal remembers of a change id before it is applied (again). */
export type Prior = {
  change_id: string;
  state: JournalState;
  payload_sha256: string | null;
  result: string | null;
};

export type NewPreImage = {
  path: string;
  existed: boolean;
  content: Uint8Array | null;
  mode: number | null;
  sha256: string | null;
  post_sha256: string | null;
  post_mode: number | null;
  /** `content` is the change's patch, not the file (see PreImageRow.derived). */
  derived?: boolean;
};

export type NewModification = {
  path: string;
  kind: string;
  new_path: string | null;
  sha256_before: string | null;
  sha256_after: string | null;
  added: number | null;
  removed: number | null;
};

/** Pre-image content as stored: compressed when that makes it smaller (source text: about 5:1). */
type Packed = { content: Uint8Array | null; content_codec: string | null };

const packContent = (content: Uint8Array | null): Packed => {
  if (content === null || content.length < 64) return { content, content_codec: null };
  const zipped = Bun.zstdCompressSync(content, { level: 1 });
  return zipped.length < content.length
    ? { content: zipped, content_codec: "zstd" }
    : { content, content_codec: null };
};

/**
 * A journal entry or a pre-image made ready for its insert (JSON, compression) before the
 * transaction that inserts it: that work is the dearest part of the insert, and doing it inside
 * would hold the write lock that every other writer waits for.
 */
export type NewJournal = {
  change_id: string;
  kind: "apply" | "rollback";
  owner: string;
  payload_sha256: string | null;
  plan: Plan;
  result: unknown;
};
export type ReadyJournal = Omit<NewJournal, "plan" | "result"> & { plan: string; result: string };
export type ReadyPreImage = Omit<NewPreImage, "content" | "existed" | "derived"> &
  Packed & { existed: 0 | 1; derived: 0 | 1 };

export const readyJournal = (j: NewJournal): ReadyJournal => ({
  ...j,
  plan: JSON.stringify(j.plan),
  result: JSON.stringify(j.result),
});

export const readyPreImage = (p: NewPreImage): ReadyPreImage => ({
  ...p,
  ...packContent(p.content),
  existed: p.existed ? 1 : 0,
  derived: p.derived ? 1 : 0,
});

const unpackContent = (r: Packed): Uint8Array | null => {
  if (r.content === null || r.content_codec === null) return r.content;
  try {
    return Bun.zstdDecompressSync(r.content);
  } catch {
    throw new HyperionError("E_DB_CORRUPT", "a pre_images row does not decompress", {
      exitCode: 1,
      hint: "the database was edited by hand; restore it from a backup",
    });
  }
};

const cache = new WeakMap<Database, ReturnType<typeof build>>();

/** lib/patch's SQL (apply_journal, pre_images, file_modifications), prepared once per connection. */
export const applySql = (db: Database) => {
  let sql = cache.get(db);
  if (!sql) {
    sql = build(db);
    cache.set(db, sql);
  }
  return sql;
};

const build = (db: Database) => {
  const insertJournal = db.query<{ id: number }, Record<string, string | number | null>>(
    `INSERT INTO apply_journal (change_id, kind, state, owner, payload_sha256, plan, result, created_at, updated_at)
     VALUES ($change_id, $kind, 'pending', $owner, $payload_sha256, $plan, $result, $now, $now) RETURNING id`,
  );
  const insertPre = db.query(
    `INSERT INTO pre_images (change_id, journal_id, path, existed, derived, content, content_codec, mode, sha256, post_sha256, post_mode, created_at)
     VALUES ($change_id, $journal_id, $path, $existed, $derived, $content, $content_codec, $mode, $sha256, $post_sha256, $post_mode, $now)`,
  );
  const insertMod = db.query(
    `INSERT INTO file_modifications (path, key, kind, change_id, source, journal_id, new_path, sha256_before, sha256_after, added, removed, ts)
     VALUES ($path, $key, $kind, $change_id, $source, $journal_id, $new_path, $sha256_before, $sha256_after, $added, $removed, $now)`,
  );
  const setState = db.query("UPDATE apply_journal SET state = $state, updated_at = $now WHERE id = $id");
  const pending = db.query("SELECT * FROM apply_journal WHERE state = 'pending' ORDER BY id");
  const busyPaths = db.query<{ path: string; change_id: string; kind: string }, [string]>(
    `SELECT f.value ->> 'path' AS path, j.change_id, j.kind FROM apply_journal j, json_each(j.plan, '$.files') f
     WHERE j.state = 'pending' AND f.value ->> 'path' IN (SELECT value FROM json_each(?))`,
  );
  const latest = db.query(
    "SELECT * FROM apply_journal WHERE change_id = $change_id AND kind = $kind ORDER BY id DESC LIMIT 1",
  );
  const priors = db.query<Prior, { ids: string }>(
    `SELECT change_id, state, payload_sha256, result FROM apply_journal
     WHERE kind = 'apply' AND state IN ('pending','applied') AND change_id IN (SELECT value FROM json_each($ids))`,
  );
  const preImages = db.query(
    "SELECT path, existed, derived, content, content_codec, mode, sha256, post_sha256, post_mode FROM pre_images WHERE journal_id = $journal_id AND change_id = $change_id ORDER BY id",
  );
  const bySha = db.query<{ content: Uint8Array; content_codec: string | null }, { sha: string }>(
    "SELECT content, content_codec FROM pre_images WHERE sha256 = $sha AND content IS NOT NULL AND derived = 0 LIMIT 1",
  );
  const dropRows = [
    db.query("DELETE FROM pre_images WHERE change_id = $change_id AND journal_id = $id"),
    db.query("DELETE FROM file_modifications WHERE change_id = $change_id AND journal_id = $id"),
  ];
  const dropJournal = db.query("DELETE FROM apply_journal WHERE id = $id");
  // The newest decision on each of these changes (approvals.id grows with time).
  const decisions = db.query<
    { change_id: string; decision: string; payload_sha256: string | null },
    { ids: string }
  >(
    `SELECT a.change_id, a.decision, a.payload_sha256 FROM approvals a
     WHERE a.id IN (SELECT max(id) FROM approvals WHERE change_id IN (SELECT value FROM json_each($ids)) GROUP BY change_id)`,
  );
  // An apply the journal still shows rolled back (the runtime undid it and gave the change back,
  // e.g. when the plan changed under it) may apply again; one whose journal is gone may not.
  const appliedBefore = db.query<{ change_id: string; payload_sha256: string }, { ids: string }>(
    `SELECT a.change_id, a.payload_sha256 FROM applied_payloads a
     WHERE a.change_id IN (SELECT value FROM json_each($ids))
       AND NOT EXISTS (SELECT 1 FROM apply_journal j WHERE j.change_id = a.change_id AND j.kind = 'apply'
         AND j.payload_sha256 = a.payload_sha256 AND j.state = 'rolled_back')`,
  );

  const journal = (row: unknown): JournalRow => {
    const parsed = JournalRow.safeParse(row);
    if (parsed.success) return parsed.data;
    throw new HyperionError(
      "E_DB_CORRUPT",
      `an apply_journal row does not parse: ${parsed.error.issues[0]?.message}`,
      {
        exitCode: 1,
        hint: "the database was edited by hand; restore it from a backup",
        details: { row },
      },
    );
  };

  return {
    /** Runs `fn` in one write transaction (writeTx). */
    immediate: <T>(fn: () => T): T => writeTx(db, fn),
    /** Records a pending apply (or rollback) with its plan; returns the journal id. */
    insertJournal(j: ReadyJournal): number {
      return insertJournal.get({ ...j, now: Date.now() })!.id;
    },
    /** Stores what one path held before the journalled write. */
    insertPreImage(changeId: string, journalId: number, p: ReadyPreImage): void {
      insertPre.run({ ...p, change_id: changeId, journal_id: journalId, now: Date.now() });
    },
    /** Records one file modification with its change id (audit). */
    insertModification(changeId: string, journalId: number, source: string, m: NewModification): void {
      insertMod.run({
        ...m,
        key: fileKey(m.path),
        change_id: changeId,
        source,
        journal_id: journalId,
        now: Date.now(),
      });
    },
    /** Moves a journal entry to its next state. */
    setState(id: number, state: JournalState): void {
      setState.run({ id, state, now: Date.now() });
    },
    /** Journal entries a crash may have left half done, oldest first. */
    pending: (): JournalRow[] => pending.all().map(journal),
    /**
     * Which of these paths a pending entry (an apply or rollback in flight, or awaiting recovery)
     * is changing, and whose it is: read inside the apply's intent transaction, so it is matched
     * in SQL rather than by parsing every pending plan while the write lock is held.
     */
    busyPaths(paths: readonly string[]): Map<string, { change_id: string; kind: string }> {
      try {
        return new Map(busyPaths.all(JSON.stringify(paths)).map((r) => [r.path, r]));
      } catch (e) {
        // A plan that is not JSON: the strict read names the row (E_DB_CORRUPT).
        pending.all().forEach(journal);
        throw e;
      }
    },
    /** The newest journal entry of a change and kind. */
    latest(changeId: string, kind: "apply" | "rollback"): JournalRow | null {
      const row = latest.get({ change_id: changeId, kind });
      return row ? journal(row) : null;
    },
    /** The live (pending or applied) apply entry of each of these change ids, in one query. */
    priors(ids: readonly string[]) {
      return new Map(priors.all({ ids: JSON.stringify(ids) }).map((r) => [r.change_id, r]));
    },
    /**
     * A person's latest decision on each of these changes, with the payload hash it was given for
     * (null for decisions recorded before approvals named their payload); absent when none.
     */
    decisions(ids: readonly string[]): Map<string, { decision: string; payload_sha256: string | null }> {
      return new Map(decisions.all({ ids: JSON.stringify(ids) }).map((r) => [r.change_id, r]));
    },
    /**
     * "change_id payload_sha256" of each payload of these changes applied once and not undone
     * since (kept past archival): a re-inserted row with one of them is a replay.
     */
    appliedBefore(ids: readonly string[]): Set<string> {
      return new Set(
        appliedBefore.all({ ids: JSON.stringify(ids) }).map((r) => `${r.change_id} ${r.payload_sha256}`),
      );
    },
    /** The pre-images of one journal entry, in plan order. */
    preImages: (row: { id: number; change_id: string }): PreImageRow[] =>
      preImages
        .all({ change_id: row.change_id, journal_id: row.id })
        .map((r) => PreImageRow.parse({ ...(r as object), content: unpackContent(r as Packed) })),
    /** Content some earlier apply replaced, found by its hash: the base of a three-way rebase. */
    contentBySha: (sha: string): Uint8Array | null => {
      const r = bySha.get({ sha });
      return r ? unpackContent(r) : null;
    },
    /** Removes an entry that never touched the tree, with its pre-images and modifications. */
    forget(row: { id: number; change_id: string }): void {
      for (const q of dropRows) q.run({ id: row.id, change_id: row.change_id });
      dropJournal.run({ id: row.id });
    },
    /** Removes pre-images and modifications of an entry that was rolled back before it finished. */
    dropRows(row: { id: number; change_id: string }): void {
      for (const q of dropRows) q.run({ id: row.id, change_id: row.change_id });
    },
  };
};
export type ApplySql = ReturnType<typeof applySql>;
