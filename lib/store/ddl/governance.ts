/**
 * Approvals of risky changes and of plans (bound to the plan's sha256), and the agents' stored
 * sessions: `resume_token` is null until a CLI that names its own sessions (codex, gemini) has
 * run once; `started` is 1 once the CLI holds the session, so the next turn resumes it.
 */

export const GOVERNANCE_V1 = `
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
  resume_token TEXT,
  started INTEGER NOT NULL DEFAULT 0,
  allow_all_tools INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
);

CREATE TABLE plan_approvals (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  path TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  actor TEXT NOT NULL,
  ts INTEGER NOT NULL
);
CREATE INDEX plan_approvals_sha256 ON plan_approvals(sha256);
`;
