import { Database } from "bun:sqlite";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { REQUEST_STATUS_SQL } from "./listings-sql.ts";
import { CHANGE_COLUMNS, CHANGE_FROM, ChangeRow } from "./queue/rows.ts";

export const RequestRow = z.object({
  id: z.string(),
  title: z.string(),
  kind: z.string().nullable(),
  status: z.string(),
  payload: z.string(),
  brief: z.string().nullable(),
  fallback: z.number(),
  fallback_reason: z.string().nullable().optional(),
  created_at: z.number(),
  updated_at: z.number(),
});
export type RequestRow = z.infer<typeof RequestRow>;

export const TaskRow = z.object({
  id: z.string(),
  title: z.string(),
  status: z.string(),
  owned_paths: z.string(),
  agent: z.string().nullable(),
  fallback: z.number(),
});
export type TaskRow = z.infer<typeof TaskRow>;

/** Reads for `hyperion summary` and `rollback --request`, prepared once per connection. */
export const summarySql = (db: Database) => {
  const request = db.query<RequestRow, [string]>(
    `SELECT r.id, r.title, r.kind, ${REQUEST_STATUS_SQL} AS status, r.payload, r.brief, r.fallback,
       r.fallback_reason, r.created_at, r.updated_at FROM task_requests r WHERE r.id = ?`,
  );
  const tasks = db.query<TaskRow, [string]>(
    "SELECT id, title, status, owned_paths, agent, fallback FROM tasks WHERE request_id = ? ORDER BY created_at, id",
  );
  const change = db.query<ChangeRow, [string]>(`SELECT ${CHANGE_COLUMNS} FROM ${CHANGE_FROM} WHERE c.id = ?`);
  const changesOf = db.query<ChangeRow, [string]>(
    `SELECT ${CHANGE_COLUMNS} FROM ${CHANGE_FROM} WHERE c.request_id = ? ORDER BY c.seq`,
  );
  const appliedOrder = db.query<{ change_id: string }, [string]>(
    "SELECT change_id FROM change_queue_logs WHERE event = 'applied' AND change_id IN (SELECT id FROM change_queue WHERE request_id = ?) ORDER BY id",
  );
  // The newest record of another writer on a path since a change's own apply wrote it.
  const touchedSince = db.query<{ change_id: string | null; source: string; ts: number }, [string, string]>(
    `SELECT change_id, source, ts FROM file_modifications
     WHERE path = ?1 AND (change_id IS NULL OR change_id <> ?2)
       AND id > coalesce((SELECT max(id) FROM file_modifications WHERE change_id = ?2 AND source = 'apply'), 0)
     ORDER BY id DESC LIMIT 1`,
  );
  return {
    /** Who last wrote `path` after `changeId` applied: another change, or an external edit (change_id null). */
    touchedSince: (path: string, changeId: string) => touchedSince.get(path, changeId) ?? null,
    request: (id: string): RequestRow | null => {
      const row = request.get(id);
      return row ? RequestRow.parse(row) : null;
    },
    tasks: (requestId: string): TaskRow[] => tasks.all(requestId).map((r) => TaskRow.parse(r)),
    change: (id: string): ChangeRow | null => {
      const row = change.get(id);
      return row ? ChangeRow.parse(row) : null;
    },
    changesOf: (requestId: string): ChangeRow[] => changesOf.all(requestId).map((r) => ChangeRow.parse(r)),
    /** A request's change ids in the order they were applied. */
    appliedOrder: (requestId: string): string[] => appliedOrder.all(requestId).map((r) => r.change_id),
  };
};

const ArchivedRow = z.object({ id: z.string(), status: z.string(), updated_at: z.number().int() });

/** Where an archived change went: its archive file, its last status, and when it was moved. */
export const ArchivedChange = z.object({
  id: z.string(),
  status: z.string(),
  finished_at: z.number().int(),
  file: z.string(),
  /** The archive run that moved it, when its `archived` event is still in the live log. */
  archived_at: z.number().int().nullable(),
});
export type ArchivedChange = z.infer<typeof ArchivedChange>;

/**
 * Looks a change id up in the archive files beside the live database (`archive/changes-*.db`,
 * newest first), read-only. Null when no archive holds it.
 */
export const archivedChange = (db: Database, id: string): ArchivedChange | null => {
  const dir = join(dirname(db.filename), "archive");
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => /^changes-.*\.db$/.test(f))
      .sort()
      .reverse();
  } catch {
    return null;
  }
  for (const name of files) {
    const file = join(dir, name);
    let found: unknown;
    try {
      const arch = new Database(file, { readonly: true });
      try {
        found = arch
          .query("SELECT id, status, updated_at FROM change_queue WHERE id = ? ORDER BY seq DESC LIMIT 1")
          .get(id);
      } finally {
        arch.close();
      }
    } catch {
      continue; // not an archive of ours (or unreadable): the others may still hold it
    }
    const row = ArchivedRow.safeParse(found);
    if (!row.success) continue;
    // The run that moved it: the first one into this file whose cutoff came after it finished.
    const event = db
      .query<{ ts: number }, [string, number]>(
        `SELECT ts FROM change_queue_logs WHERE change_id IS NULL AND event = 'archived'
           AND data ->> 'file' = ? AND data ->> 'cutoff' > ? ORDER BY id LIMIT 1`,
      )
      .get(file, row.data.updated_at);
    return {
      id,
      status: row.data.status,
      finished_at: row.data.updated_at,
      file,
      archived_at: event?.ts ?? null,
    };
  }
  return null;
};
