/** Task requests and the tasks planned from them (the agents pipeline). */

export const REQUESTS_V1 = `
CREATE TABLE task_requests (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  kind TEXT,
  status TEXT NOT NULL,
  priority INTEGER NOT NULL DEFAULT 0,
  payload TEXT NOT NULL,
  brief TEXT,
  agent TEXT,
  fallback INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX task_requests_created ON task_requests(created_at);

CREATE TABLE tasks (
  id TEXT PRIMARY KEY,
  request_id TEXT NOT NULL REFERENCES task_requests(id),
  title TEXT NOT NULL,
  status TEXT NOT NULL,
  owned_paths TEXT NOT NULL,
  context_paths TEXT NOT NULL DEFAULT '[]',
  estimated_tokens INTEGER NOT NULL DEFAULT 0,
  payload TEXT NOT NULL,
  agent TEXT,
  fallback INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX tasks_request ON tasks(request_id);
`;
