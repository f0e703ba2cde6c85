import type { Database } from "bun:sqlite";
import { DONE } from "../ddl/queue.ts";
import { openDatabase } from "../open.ts";
import { reclaimSpace } from "../vacuum.ts";
import { writeTx } from "../write-tx.ts";
import { immediateTx, type LockStats } from "./busy.ts";
import { logIdAtTime } from "./log-time.ts";

/**
 * The tables a finished change has rows in, and the key that makes copying a row twice harmless
 * while keeping two rows apart. A change id is unique among live changes only, so once a change
 * has been archived its id may come back; rows keyed by change id also carry their time. The
 * apply records' ids are plain rowids, which start again once their table is empty.
 */
const TABLES = [
  { name: "change_queue", key: "seq" },
  { name: "change_payloads", key: "payload_id" },
  { name: "change_paths", key: "seq, path" },
  { name: "change_queue_logs", key: "id" },
  { name: "dead_letters", key: "change_id, dead_at" },
  { name: "apply_journal", key: "change_id, id, created_at" },
  { name: "pre_images", key: "change_id, id, created_at" },
  { name: "file_modifications", key: "change_id, id, ts" },
] as const;

type Column = { name: string; type: string; pk: number };

/** An archive table made before its key grew: copied into a table with the key it has now. */
const rekey = (db: Database, table: string, key: string, columns: Column[]) => {
  const defs = columns.map((c) => `${c.name} ${c.type}`).join(", ");
  const names = columns.map((c) => c.name).join(", ");
  writeTx(db, () => {
    db.run(`CREATE TABLE arch.${table}_rekeyed (${defs}, PRIMARY KEY (${key}))`);
    db.run(`INSERT INTO arch.${table}_rekeyed (${names}) SELECT ${names} FROM arch.${table}`);
    db.run(`DROP TABLE arch.${table}`);
    db.run(`ALTER TABLE arch.${table}_rekeyed RENAME TO ${table}`);
  });
};

// Finished changes whose last update (finish, rollback) is older than the cutoff, except one whose
// apply is still pending (a crash that recovery has yet to repair needs its journal entry). A scan
// in seq order: the oldest rows come first, and archival keeps the table short.
const OLD_FINISHED = `${DONE} AND updated_at < ?1 AND NOT EXISTS (
  SELECT 1 FROM main.apply_journal j WHERE j.change_id = change_queue.id AND j.state = 'pending')`;

// Edits the watcher saw that no change made (external), older than the cutoff, found through
// their own partial index (migration 10), never by walking the edits of every apply (through the
// time index) nor every young external edit (through the change_id index, SQLite's own choice). Their
// archive key (change_id, id, ts) holds a NULL, which SQLite lets repeat, so a copy first looks
// for its row there (by id and time: ids are rowids, reused once the newest moved).
const OLD_EXTERNAL = "change_id IS NULL AND ts < ?1";

/** The external edits one batch moves (?1 cutoff, ?2 limit), oldest first. */
export const OLD_EXTERNAL_IDS = `SELECT id FROM main.file_modifications INDEXED BY file_modifications_external
  WHERE ${OLD_EXTERNAL} ORDER BY ts LIMIT ?2`;

// A loose event moves only once a newer one exists: the newest may be the mark that keeps event
// ids climbing (see markTop), and moving it would only write another.
const NOT_NEWEST = "id < (SELECT max(id) FROM main.change_queue_logs)";

/** Creates the archive's tables like the live ones (adding columns the live ones grew since). */
const prepareArchive = (db: Database): Record<string, string> => {
  const columns: Record<string, string> = {};
  for (const t of TABLES) {
    const live = db.query(`PRAGMA main.table_info(${t.name})`).all() as { name: string; type: string }[];
    const defs = live.map((c) => `${c.name} ${c.type}`).join(", ");
    db.run(`CREATE TABLE IF NOT EXISTS arch.${t.name} (${defs}, PRIMARY KEY (${t.key}))`);
    const archived = () => db.query(`PRAGMA arch.table_info(${t.name})`).all() as Column[];
    const have = new Set(archived().map((c) => c.name));
    for (const c of live)
      if (!have.has(c.name)) db.run(`ALTER TABLE arch.${t.name} ADD COLUMN ${c.name} ${c.type}`);
    const columnsNow = archived();
    const key = columnsNow
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name)
      .join(", ");
    if (key !== t.key) rekey(db, t.name, t.key, columnsNow);
    columns[t.name] = live.map((c) => c.name).join(", ");
  }
  db.run("CREATE INDEX IF NOT EXISTS arch.change_queue_id ON change_queue(id)");
  db.run("CREATE INDEX IF NOT EXISTS arch.change_queue_logs_change ON change_queue_logs(change_id, id)");
  db.run(
    "CREATE INDEX IF NOT EXISTS arch.file_modifications_external ON file_modifications(id, ts) WHERE change_id IS NULL",
  );
  db.run(
    "CREATE TEMP TABLE IF NOT EXISTS archive_batch (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, payload_id INTEGER)",
  );
  db.run("CREATE TEMP TABLE IF NOT EXISTS archive_logs (id INTEGER PRIMARY KEY)");
  db.run("CREATE TEMP TABLE IF NOT EXISTS archive_mods (id INTEGER PRIMARY KEY)");
  return columns;
};

/** What an archive run moves: finished changes, loose log events and external edits. */
export type Moved = { changes: number; logs: number; modifications: number };

/** What an archive run would move of what is older than `cutoff`. */
export const countArchivable = (db: Database, cutoff: number): Moved => ({
  changes: (
    db.query(`SELECT count(*) AS n FROM change_queue WHERE ${OLD_FINISHED}`).get(cutoff) as { n: number }
  ).n,
  logs: (
    db
      .query(
        `SELECT count(*) AS n FROM change_queue_logs l WHERE (l.change_id IS NULL AND l.id < ?2 AND ${NOT_NEWEST})
           OR l.change_id IN (SELECT id FROM change_queue WHERE ${OLD_FINISHED})`,
      )
      .get(cutoff, logIdAtTime(db)(cutoff)) as { n: number }
  ).n,
  modifications: (
    db.query(`SELECT count(*) AS n FROM file_modifications WHERE ${OLD_EXTERNAL}`).get(cutoff) as {
      n: number;
    }
  ).n,
});

export type ArchiveSession = {
  /**
   * Moves up to `limit` finished changes (with payloads, paths, logs, dead letters and apply
   * records), up to `limit` loose events and up to `limit` external edits, in one transaction.
   */
  moveBatch: (cutoff: number, limit: number, now: number) => Moved;
  /** Gives the pages the moves emptied back to the filesystem (vacuum.ts); the bytes freed. */
  reclaim: () => number;
  close: () => void;
};

/**
 * Opens a connection of its own to the live database with the archive file attached, so a
 * worker's connection never carries an attachment. In WAL mode a transaction over two files is
 * atomic per file only: rows are copied before they are deleted and copies replace, so a crash
 * between the two leaves a duplicate to be moved again, never a loss.
 */
export const openArchiveSession = (
  livePath: string,
  archiveFile: string,
  busyGiveUpMs: number,
): ArchiveSession => {
  const db = openDatabase(livePath, { busyTimeoutMs: 1_000 });
  db.run("ATTACH DATABASE ? AS arch", [archiveFile]);
  const cols = writeTx(db, () => prepareArchive(db));
  const copy = (table: string, where: string) =>
    db.prepare(
      `INSERT OR REPLACE INTO arch.${table} (${cols[table]}) SELECT ${cols[table]} FROM main.${table} WHERE ${where}`,
    );
  const inBatchSeq = "seq IN (SELECT seq FROM temp.archive_batch)";
  const inBatchId = "change_id IN (SELECT id FROM temp.archive_batch)";
  const inBatchPayload = "payload_id IN (SELECT payload_id FROM temp.archive_batch)";
  const inLogs = "id IN (SELECT id FROM temp.archive_logs)";
  // Pre-images are indexed by journal entry (migration 5), found through the batch's entries.
  const inBatchJournal = `journal_id IN (SELECT id FROM main.apply_journal WHERE ${inBatchId})`;
  const applyKey = (t: string) => (t === "pre_images" ? inBatchJournal : inBatchId);
  const s = {
    clear: db.prepare("DELETE FROM temp.archive_batch"),
    clearLogs: db.prepare("DELETE FROM temp.archive_logs"),
    clearMods: db.prepare("DELETE FROM temp.archive_mods"),
    select: db.prepare(
      `INSERT INTO temp.archive_batch (seq, id, payload_id) SELECT seq, id, payload_id FROM main.change_queue
       WHERE ${OLD_FINISHED} LIMIT ?2`,
    ),
    selectLogs: db.prepare(
      `INSERT INTO temp.archive_logs (id) SELECT id FROM main.change_queue_logs
       WHERE change_id IS NULL AND id < ? AND ${NOT_NEWEST} ORDER BY id LIMIT ?`,
    ),
    selectMods: db.prepare(`INSERT INTO temp.archive_mods (id) ${OLD_EXTERNAL_IDS}`),
    copyMods: db.prepare(
      `INSERT INTO arch.file_modifications (${cols.file_modifications}) SELECT ${cols.file_modifications}
       FROM main.file_modifications m WHERE m.id IN (SELECT id FROM temp.archive_mods) AND NOT EXISTS (
         SELECT 1 FROM arch.file_modifications a WHERE a.change_id IS NULL AND a.id = m.id AND a.ts = m.ts)`,
    ),
    delMods: db.prepare("DELETE FROM main.file_modifications WHERE id IN (SELECT id FROM temp.archive_mods)"),
    copyChanges: copy("change_queue", inBatchSeq),
    copyPayloads: copy("change_payloads", inBatchPayload),
    copyPaths: copy("change_paths", inBatchSeq),
    copyDead: copy("dead_letters", inBatchId),
    copyLogs: copy("change_queue_logs", inBatchId),
    copyApply: ["apply_journal", "pre_images", "file_modifications"].map((t) => copy(t, applyKey(t))),
    copyLoose: copy("change_queue_logs", inLogs),
    topMoved: db.prepare(`SELECT max(id) AS top FROM main.change_queue_logs WHERE ${inBatchId} OR ${inLogs}`),
    // Event ids are rowids without AUTOINCREMENT (a page less per event), so once the newest have
    // moved the next one would take an id the archive already holds, and copies replace. A mark
    // one past the highest id moved keeps ids climbing; it is archived in its turn like any event.
    markTop: db.prepare(
      `INSERT INTO main.change_queue_logs (id, change_id, ts, level, event, worker, data)
       SELECT ?1 + 1, NULL, ?2, 'info', 'archive_mark', NULL, json_object('moved_up_to', ?1)
       WHERE ?1 >= coalesce((SELECT max(id) FROM main.change_queue_logs), 0)`,
    ),
    delLogs: db.prepare(`DELETE FROM main.change_queue_logs WHERE ${inBatchId}`),
    delLoose: db.prepare(`DELETE FROM main.change_queue_logs WHERE ${inLogs}`),
    delDead: db.prepare(`DELETE FROM main.dead_letters WHERE ${inBatchId}`),
    delApply: ["file_modifications", "pre_images", "apply_journal"].map((t) =>
      db.prepare(`DELETE FROM main.${t} WHERE ${applyKey(t)}`),
    ),
    delPaths: db.prepare(`DELETE FROM main.change_paths WHERE ${inBatchSeq}`),
    delChanges: db.prepare(`DELETE FROM main.change_queue WHERE ${inBatchSeq}`),
    delPayloads: db.prepare(`DELETE FROM main.change_payloads WHERE ${inBatchPayload}`),
  };
  const logIdAt = logIdAtTime(db);
  const stats: LockStats = { busyRetries: 0, lockMs: 0, totalBusyRetries: 0 };
  const moveBatch = immediateTx(
    db,
    (cutoff: number, limit: number, now: number) => {
      s.clear.run();
      s.clearLogs.run();
      s.clearMods.run();
      const changes = s.select.run(cutoff, limit).changes;
      s.selectLogs.run(logIdAt(cutoff), limit);
      s.copyChanges.run();
      s.copyPayloads.run();
      s.copyPaths.run();
      s.copyDead.run();
      for (const q of s.copyApply) q.run();
      const logs = s.copyLogs.run().changes + s.copyLoose.run().changes;
      const top = (s.topMoved.get() as { top: number | null }).top;
      s.delLogs.run();
      s.delLoose.run();
      s.delDead.run();
      for (const q of s.delApply) q.run();
      s.delPaths.run();
      s.delChanges.run();
      s.delPayloads.run();
      if (top !== null) s.markTop.run(top, now);
      const modifications = s.selectMods.run(cutoff, limit).changes;
      s.copyMods.run();
      s.delMods.run();
      return { changes, logs, modifications };
    },
    stats,
    { busyGiveUpMs },
  );
  return {
    moveBatch,
    reclaim: () => reclaimSpace(db),
    close: () => db.close(),
  };
};
