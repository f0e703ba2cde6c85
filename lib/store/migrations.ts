/**
 * Versioned schema. Each migration runs once, inside the same BEGIN IMMEDIATE transaction that
 * records it in schema_migrations, so two processes starting together never both apply it.
 * Append only: never edit a migration that has shipped.
 */
export type Migration = { version: number; name: string; sql: string };

const CHANGE_STATUSES = "'queued','leased','applied','dead','awaiting_approval','rejected','rolled_back'";

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: "initial",
    sql: `
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

CREATE TABLE change_queue (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  task_id TEXT NOT NULL,
  request_id TEXT,
  agent TEXT,
  summary TEXT,
  status TEXT NOT NULL CHECK (status IN (${CHANGE_STATUSES})),
  priority INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  available_at INTEGER NOT NULL,
  leased_until INTEGER,
  lease_owner TEXT,
  lease_token INTEGER NOT NULL DEFAULT 0,
  payload TEXT NOT NULL,
  payload_sha256 TEXT NOT NULL,
  signature TEXT NOT NULL,
  risk TEXT NOT NULL DEFAULT 'low',
  risk_score REAL NOT NULL DEFAULT 0,
  needs_rebase INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  enqueued_at INTEGER NOT NULL,
  leased_at INTEGER,
  finished_at INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE INDEX change_queue_status ON change_queue(status, priority DESC, seq);
CREATE INDEX change_queue_lease_expiry ON change_queue(status, leased_until) WHERE status = 'leased';
CREATE INDEX change_queue_task ON change_queue(task_id);
CREATE INDEX change_queue_request ON change_queue(request_id);
CREATE INDEX change_queue_finished ON change_queue(finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE change_paths (
  seq INTEGER NOT NULL REFERENCES change_queue(seq) ON DELETE CASCADE,
  path TEXT NOT NULL,
  PRIMARY KEY (seq, path)
) WITHOUT ROWID;
CREATE INDEX change_paths_path ON change_paths(path, seq);

CREATE TABLE change_queue_logs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  change_id TEXT,
  ts INTEGER NOT NULL,
  level TEXT NOT NULL DEFAULT 'info',
  event TEXT NOT NULL,
  worker TEXT,
  data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX change_queue_logs_change ON change_queue_logs(change_id, id);
CREATE INDEX change_queue_logs_ts ON change_queue_logs(ts);

CREATE TABLE dead_letters (
  change_id TEXT PRIMARY KEY,
  reason_code TEXT NOT NULL,
  message TEXT NOT NULL,
  last_error TEXT,
  attempts INTEGER NOT NULL,
  dead_at INTEGER NOT NULL
);
CREATE INDEX dead_letters_dead_at ON dead_letters(dead_at);

CREATE TABLE file_modifications (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  path TEXT NOT NULL,
  kind TEXT NOT NULL,
  change_id TEXT,
  source TEXT NOT NULL DEFAULT 'apply',
  ts INTEGER NOT NULL
);
CREATE INDEX file_modifications_ts ON file_modifications(ts);
CREATE INDEX file_modifications_change ON file_modifications(change_id);

CREATE TABLE pre_images (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  change_id TEXT NOT NULL,
  path TEXT NOT NULL,
  existed INTEGER NOT NULL,
  content BLOB,
  mode INTEGER,
  sha256 TEXT,
  post_sha256 TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX pre_images_change ON pre_images(change_id);

CREATE TABLE approvals (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  change_id TEXT NOT NULL,
  decision TEXT NOT NULL CHECK (decision IN ('approved','rejected')),
  actor TEXT NOT NULL,
  reason TEXT,
  ts INTEGER NOT NULL
);
CREATE INDEX approvals_change ON approvals(change_id);

CREATE TABLE agent_sessions (
  name TEXT PRIMARY KEY,
  agent TEXT NOT NULL,
  role TEXT,
  resume_token TEXT NOT NULL,
  allow_all_tools INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
);
`,
  },
];

export const latestVersion = (): number => migrations.at(-1)?.version ?? 0;
