/**
 * Change application: the journal that makes a multi-file apply atomic across crashes, what each
 * apply replaced (pre_images, for rollback and three-way rebase) and what it wrote (audit).
 * Every index is a page written per apply, so there are few: rows of a journal entry are found
 * through their change_id index, and ids are plain rowids (AUTOINCREMENT writes sqlite_sequence).
 */
import type { Database } from "bun:sqlite";
import { tempPathKeys } from "./path-keys.ts";

export const APPLY_V1 = `
CREATE TABLE apply_journal (
  id INTEGER PRIMARY KEY,
  change_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('apply','rollback')),
  state TEXT NOT NULL CHECK (state IN ('pending','applied','aborted','rolled_back')),
  owner TEXT NOT NULL,
  payload_sha256 TEXT,
  plan TEXT NOT NULL,
  result TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX apply_journal_pending ON apply_journal(state) WHERE state = 'pending';
CREATE INDEX apply_journal_change ON apply_journal(change_id, kind, id);
CREATE UNIQUE INDEX apply_journal_live ON apply_journal(change_id)
  WHERE kind = 'apply' AND state IN ('pending','applied');

CREATE TABLE file_modifications (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL,
  kind TEXT NOT NULL,
  change_id TEXT,
  source TEXT NOT NULL DEFAULT 'apply',
  journal_id INTEGER REFERENCES apply_journal(id) ON DELETE CASCADE,
  new_path TEXT,
  sha256_before TEXT,
  sha256_after TEXT,
  added INTEGER,
  removed INTEGER,
  ts INTEGER NOT NULL
);
CREATE INDEX file_modifications_ts ON file_modifications(ts);
CREATE INDEX file_modifications_path ON file_modifications(path, ts);
CREATE INDEX file_modifications_change ON file_modifications(change_id);

CREATE TABLE pre_images (
  id INTEGER PRIMARY KEY,
  change_id TEXT NOT NULL,
  journal_id INTEGER REFERENCES apply_journal(id) ON DELETE CASCADE,
  path TEXT NOT NULL,
  existed INTEGER NOT NULL,
  content BLOB,
  mode INTEGER,
  sha256 TEXT,
  post_sha256 TEXT,
  post_mode INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX pre_images_change ON pre_images(change_id);
CREATE INDEX pre_images_sha ON pre_images(sha256) WHERE sha256 IS NOT NULL;
`;

/*
 * Version 7 (migration 12): a pre-image stored as "derived" has no content: the change's patch
 * applied exactly to what an earlier change of the same group left, so it is rebuilt by reversing
 * that patch on what the change left (lib/patch/rollback.ts). A group keeps one whole pre-image
 * per file, its first change's; recovery needs no other.
 */
export const APPLY_V5 = `
ALTER TABLE pre_images ADD COLUMN derived INTEGER NOT NULL DEFAULT 0;
`;

/*
 * Version 4: pre-image content may be stored compressed (zstd; `content_codec` says which, NULL
 * for as is). Pre-images are most of what an apply writes to the database (the whole previous
 * content of every file it replaces), and source text compresses about five to one.
 */
export const APPLY_V2 = `
ALTER TABLE pre_images ADD COLUMN content_codec TEXT CHECK (content_codec IN ('zstd'));
`;

/*
 * Version 5: deleting a journal entry cascades to its pre-images and file modifications by
 * journal_id, and without an index on it every deleted entry scanned both tables: archival was
 * quadratic (7,000 changes in 8 minutes). Pre-images are found by journal id alone (their
 * change_id index goes: the count of indexes written per apply stays the same); file
 * modifications keep their change_id index for listings and gain one on journal_id.
 */
export const APPLY_V3 = `
DROP INDEX pre_images_change;
CREATE INDEX pre_images_journal ON pre_images(journal_id);
CREATE INDEX file_modifications_journal ON file_modifications(journal_id) WHERE journal_id IS NOT NULL;
`;

/*
 * Version 10: archival finds external edits (file modifications of no change) through an index of
 * their own. Through the time index it walked every apply's rows older than the cutoff, each
 * batch again, to skip them: archival slowed per change as the store grew (44 ms per 1,000
 * changes at 10,000, 80 at 100,000). Partial: an apply's rows are never written into it.
 */
export const APPLY_V4 = `
CREATE INDEX file_modifications_external ON file_modifications(ts) WHERE change_id IS NULL;
`;

/*
 * Version 13: the watcher finds Hyperion's own writes of a file by its file key (lib/schema/
 * change-paths.ts: fileKey), as the queue's line and apply find a file, not by the change's
 * spelling of the path: on a case-insensitive or normalising file system the watcher may report
 * another spelling of the file a change wrote. `key` is written with every row; modKeys (below)
 * computes it for the rows already stored. Listings by path (`file-mods --path`) go by key too, so
 * the key's index replaces the path's: each row still writes as many index entries.
 */
export const APPLY_V6 = `
ALTER TABLE file_modifications ADD COLUMN key TEXT;
UPDATE file_modifications SET key = (SELECT k.key FROM temp.mod_keys k WHERE k.path = file_modifications.path);
CREATE INDEX file_modifications_key ON file_modifications(key, ts);
DROP INDEX file_modifications_path;
`;

/** Before APPLY_V6: the file key of every path file_modifications holds, into temp.mod_keys. */
export const modKeys = (db: Database): void =>
  tempPathKeys(db, "mod_keys", "SELECT DISTINCT path FROM file_modifications");
