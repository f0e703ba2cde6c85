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

/**
 * Trust bound to what was checked: the repository's own id (signatures name it, so a payload
 * copied into another repository sharing the key never verifies), the payload hash each approval
 * was given for, and every (change, payload) ever applied: a row re-inserted after its journal
 * was archived is a replay and never applies again. `applied_payloads` is never archived.
 */
export const GOVERNANCE_V2 = `
CREATE TABLE repository (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  id TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
INSERT INTO repository (one, id, created_at)
  VALUES (1, lower(hex(randomblob(16))), CAST(unixepoch('subsec') * 1000 AS INTEGER));

ALTER TABLE approvals ADD COLUMN payload_sha256 TEXT;

CREATE TABLE applied_payloads (
  change_id TEXT NOT NULL,
  payload_sha256 TEXT NOT NULL,
  ts INTEGER NOT NULL,
  PRIMARY KEY (change_id, payload_sha256)
) WITHOUT ROWID;
CREATE TRIGGER applied_payloads_record AFTER UPDATE OF state ON apply_journal
  WHEN NEW.kind = 'apply' AND NEW.state = 'applied' AND NEW.payload_sha256 IS NOT NULL
BEGIN
  INSERT OR IGNORE INTO applied_payloads (change_id, payload_sha256, ts)
    VALUES (NEW.change_id, NEW.payload_sha256, NEW.updated_at);
END;
`;
