import type { Database } from "bun:sqlite";
import { APPLY_V1, APPLY_V2, APPLY_V3, APPLY_V4, APPLY_V5, APPLY_V6, modKeys } from "./ddl/apply.ts";
import { GOVERNANCE_V1, GOVERNANCE_V2 } from "./ddl/governance.ts";
import { keyPaths, QUEUE_V1, QUEUE_V2, QUEUE_V3, QUEUE_V4, QUEUE_V5, QUEUE_V6 } from "./ddl/queue.ts";
import { REQUESTS_V1, REQUESTS_V2 } from "./ddl/requests.ts";

/**
 * Versioned schema. Each migration runs once, inside the same BEGIN IMMEDIATE transaction that
 * records it in schema_migrations, so two processes starting together never both apply it.
 * Append only: never edit a migration that has shipped. The DDL of each area lives in ddl/.
 */
export type Migration = {
  version: number;
  name: string;
  sql: string;
  /** Runs just before `sql`, in its transaction: values SQL cannot compute, left in temp tables it reads. */
  prepare?: (db: Database) => void;
};

export const migrations: readonly Migration[] = [
  { version: 1, name: "initial", sql: [REQUESTS_V1, QUEUE_V1, APPLY_V1, GOVERNANCE_V1].join("\n") },
  { version: 2, name: "lean queue indexes", sql: QUEUE_V2 },
  { version: 3, name: "payloads apart", sql: QUEUE_V3 },
  { version: 4, name: "compressed pre-images", sql: APPLY_V2 },
  { version: 5, name: "repository identity, approvals bound to payloads", sql: GOVERNANCE_V2 },
  { version: 6, name: "journal indexes", sql: APPLY_V3 },
  { version: 7, name: "agent turns", sql: REQUESTS_V2 },
  { version: 8, name: "stacked changes wait for their predecessor", sql: QUEUE_V4 },
  {
    version: 9,
    name: "one line per file on case-insensitive file systems",
    sql: QUEUE_V5,
    prepare: keyPaths,
  },
  { version: 10, name: "external edits indexed for archival", sql: APPLY_V4 },
  { version: 11, name: "stacked changes validated against stored results", sql: QUEUE_V6 },
  { version: 12, name: "one whole pre-image per file per group", sql: APPLY_V5 },
  { version: 13, name: "own writes found by file key", sql: APPLY_V6, prepare: modKeys },
];

export const latestVersion = (): number => migrations.at(-1)?.version ?? 0;

/** Runs one migration's steps on `db` (inside the caller's transaction, if any). */
export const runMigration = (db: Database, m: Migration): void => {
  m.prepare?.(db);
  db.run(m.sql);
};
