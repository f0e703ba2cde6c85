/** Change application: what was written (audit) and what it replaced (rollback). */

export const APPLY_V1 = `
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
`;
