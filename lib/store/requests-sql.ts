import type { Database } from "bun:sqlite";
import { z } from "zod";
import { REQUEST_STORED_STATUS_VALUES, TASK_STATUS_VALUES } from "./ddl/requests.ts";
import { writeTx } from "./write-tx.ts";

/** A task_requests row as read back: parsed, because rows on disk could have been edited. */
export const RequestRow = z.object({
  id: z.string(),
  title: z.string(),
  kind: z.string().nullable(),
  risk: z.string().nullable(),
  status: z.enum(REQUEST_STORED_STATUS_VALUES),
  priority: z.number().int(),
  payload: z.string(),
  brief: z.string().nullable(),
  answers: z.string().nullable(),
  agent: z.string().nullable(),
  fallback: z.number().int(),
  fallback_reason: z.string().nullable(),
  error: z.string().nullable(),
  created_at: z.number().int(),
  updated_at: z.number().int(),
});
export type RequestRow = z.infer<typeof RequestRow>;

export const TaskRow = z.object({
  id: z.string(),
  request_id: z.string(),
  title: z.string(),
  status: z.enum(TASK_STATUS_VALUES),
  owned_paths: z.string(),
  context_paths: z.string(),
  estimated_tokens: z.number().int(),
  payload: z.string(),
  agent: z.string().nullable(),
  fallback: z.number().int(),
  fallback_reason: z.string().nullable(),
  change_id: z.string().nullable(),
  created_at: z.number().int(),
  updated_at: z.number().int(),
});
export type TaskRow = z.infer<typeof TaskRow>;

export type NewRequest = Omit<RequestRow, "error" | "updated_at">;
export type NewTask = Omit<TaskRow, "updated_at">;

/** The agents pipeline's SQL (task_requests, tasks), every statement prepared once per connection. */
/** One agent turn of a request, as it starts or ends (see REQUESTS_V2). */
export const AgentTurn = z.object({
  request_id: z.string(),
  role: z.enum(["engineer", "orchestrator", "developer"]),
  task_id: z.string().nullable(),
  agent: z.string(),
  state: z.enum(["running", "done", "fallback", "failed"]),
  /** What the turn is about: the request's title (engineer), a task's owned paths (developer). */
  detail: z.record(z.string(), z.unknown()),
  ts: z.number().int(),
});
export type AgentTurn = z.infer<typeof AgentTurn>;

export const requestsSql = (db: Database) => {
  const insertTurn = db.query(
    "INSERT INTO agent_turns (request_id, role, task_id, agent, state, detail, ts) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  const turnsOf = db.query<Record<string, unknown>, [string]>(
    "SELECT request_id, role, task_id, agent, state, detail, ts FROM agent_turns WHERE request_id = ? ORDER BY id",
  );
  // Requests whose turns are under way: turns since `since`, and no request row yet.
  const planning = db.query<{ request_id: string }, [number]>(
    `SELECT DISTINCT t.request_id FROM agent_turns t
     WHERE t.ts >= ? AND NOT EXISTS (SELECT 1 FROM task_requests r WHERE r.id = t.request_id)`,
  );
  const insertRequest = db.query(
    `INSERT INTO task_requests (id, title, kind, risk, status, priority, payload, brief, answers, agent,
       fallback, fallback_reason, created_at, updated_at)
     VALUES ($id, $title, $kind, $risk, $status, $priority, $payload, $brief, $answers, $agent,
       $fallback, $fallback_reason, $created_at, $created_at)`,
  );
  const updateRequest = db.query(
    `UPDATE task_requests SET kind = $kind, risk = $risk, status = $status, brief = $brief,
       answers = $answers, agent = $agent, fallback = $fallback, fallback_reason = $fallback_reason,
       updated_at = $updated_at
     WHERE id = $id`,
  );
  const getRequest = db.query("SELECT * FROM task_requests WHERE id = ?");
  const hasRequest = db.query<{ n: number }, [string]>(
    "SELECT count(*) AS n FROM task_requests WHERE id = ?",
  );
  const listRequests = db.query("SELECT * FROM task_requests ORDER BY created_at DESC, id DESC LIMIT ?");
  const insertTask = db.query(
    `INSERT INTO tasks (id, request_id, title, status, owned_paths, context_paths, estimated_tokens, payload,
       agent, fallback, fallback_reason, change_id, created_at, updated_at)
     VALUES ($id, $request_id, $title, $status, $owned_paths, $context_paths, $estimated_tokens, $payload,
       $agent, $fallback, $fallback_reason, $change_id, $created_at, $created_at)`,
  );
  const setTaskChange = db.query("UPDATE tasks SET change_id = ?, updated_at = ? WHERE id = ?");
  const tasksOf = db.query("SELECT * FROM tasks WHERE request_id = ? ORDER BY created_at, rowid");

  return {
    /** Records one agent turn starting or ending (its own write: the dashboard reads it at once). */
    recordTurn: (t: AgentTurn): void =>
      writeTx(db, () => {
        insertTurn.run(t.request_id, t.role, t.task_id, t.agent, t.state, JSON.stringify(t.detail), t.ts);
      }),
    /** A request's turns, in the order they were recorded. */
    turnsOf: (requestId: string): AgentTurn[] =>
      turnsOf.all(requestId).map((r) => AgentTurn.parse({ ...r, detail: JSON.parse(String(r.detail)) })),
    /** Requests being planned right now (turns since `since`, not yet recorded). */
    planningSince: (since: number): string[] => planning.all(since).map((r) => r.request_id),
    /** Records a new request; a reused id fails on the primary key. */
    insertRequest: (r: NewRequest): void => void insertRequest.run(r),
    /** Moves a request on (after answers, or when its changes are enqueued). */
    updateRequest: (
      r: Pick<
        RequestRow,
        "id" | "kind" | "risk" | "status" | "brief" | "answers" | "agent" | "fallback" | "fallback_reason"
      > & { updated_at: number },
    ): void => void updateRequest.run(r),
    /** One request, or null. */
    getRequest: (id: string): RequestRow | null => {
      const row = getRequest.get(id);
      return row ? RequestRow.parse(row) : null;
    },
    /** Whether a request id has been used. */
    hasRequest: (id: string): boolean => (hasRequest.get(id)?.n ?? 0) > 0,
    /** The newest requests first. */
    listRequests: (limit: number): RequestRow[] => listRequests.all(limit).map((r) => RequestRow.parse(r)),
    /** Records a planned task. */
    insertTask: (t: NewTask): void => void insertTask.run(t),
    /** Links a task to the change its developer produced, once the queue has named it. */
    setTaskChange: (taskId: string, changeId: string, now: number): void =>
      void setTaskChange.run(changeId, now, taskId),
    /** A request's tasks in the order they were planned. */
    tasksOf: (requestId: string): TaskRow[] => tasksOf.all(requestId).map((r) => TaskRow.parse(r)),
  };
};
export type RequestsSql = ReturnType<typeof requestsSql>;
