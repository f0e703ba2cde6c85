import type { Database } from "bun:sqlite";
import { z } from "zod";
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
    "SELECT id, title, kind, status, payload, brief, fallback, fallback_reason, created_at, updated_at FROM task_requests WHERE id = ?",
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
  return {
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
