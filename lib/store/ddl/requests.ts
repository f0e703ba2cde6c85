/** Task requests and the tasks planned from them (the agents pipeline). */

/** The statuses a request row stores; once `enqueued`, listings derive the rest from its changes. */
export const REQUEST_STORED_STATUS_VALUES = ["needs_clarification", "enqueued", "no_changes"] as const;
/**
 * The statuses a request is shown with (`history`, `summary`, `--status`): an `enqueued` request
 * follows its changes (see REQUEST_STATUS_SQL in listings-sql.ts).
 */
export const REQUEST_STATUS_VALUES = [
  "needs_clarification",
  "enqueued",
  "applied",
  "partially_applied",
  "failed",
  "rolled_back",
  "archived",
  "no_changes",
] as const;
export const TASK_STATUS_VALUES = ["enqueued", "no_changes"] as const;

const list = (values: readonly string[]) => values.map((s) => `'${s}'`).join(",");

// payload is the TaskRequest as filed, brief the Engineer's ScopeBrief, answers the person's
// accumulated Answers; fallback_reason says why a stub stood in for an agent, so it stays visible.
export const REQUESTS_V1 = `
CREATE TABLE task_requests (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  kind TEXT,
  risk TEXT,
  status TEXT NOT NULL CHECK (status IN (${list(REQUEST_STORED_STATUS_VALUES)})),
  priority INTEGER NOT NULL DEFAULT 0,
  payload TEXT NOT NULL,
  brief TEXT,
  answers TEXT,
  agent TEXT,
  fallback INTEGER NOT NULL DEFAULT 0,
  fallback_reason TEXT,
  error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX task_requests_created ON task_requests(created_at);
CREATE INDEX task_requests_status ON task_requests(status, created_at);
-- hyperion history --agent (lib/store/listings-sql.ts).
CREATE INDEX task_requests_agent ON task_requests(agent, created_at);

CREATE TABLE tasks (
  id TEXT PRIMARY KEY,
  request_id TEXT NOT NULL REFERENCES task_requests(id),
  title TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN (${list(TASK_STATUS_VALUES)})),
  owned_paths TEXT NOT NULL,
  context_paths TEXT NOT NULL DEFAULT '[]',
  estimated_tokens INTEGER NOT NULL DEFAULT 0,
  payload TEXT NOT NULL,
  agent TEXT,
  fallback INTEGER NOT NULL DEFAULT 0,
  fallback_reason TEXT,
  change_id TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX tasks_request ON tasks(request_id);
`;

/**
 * Version 7: each agent turn of a request as it starts and ends, written while `hyperion request`
 * runs (the request itself lands whole at the end), so the dashboard shows the pipeline live.
 */
export const REQUESTS_V2 = `
CREATE TABLE agent_turns (
  id INTEGER PRIMARY KEY,
  request_id TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('engineer', 'orchestrator', 'developer')),
  task_id TEXT,
  agent TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('running', 'done', 'fallback', 'failed')),
  detail TEXT NOT NULL DEFAULT '{}',
  ts INTEGER NOT NULL
);
CREATE INDEX agent_turns_request ON agent_turns(request_id, id);
CREATE INDEX agent_turns_ts ON agent_turns(ts);
`;
