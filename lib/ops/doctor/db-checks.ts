import type { Database } from "bun:sqlite";
import { existsSync, statSync } from "node:fs";
import { doctorSql, indexObjects, referenceSchema, tableColumns } from "../../store/doctor-sql.ts";
import { age } from "../time.ts";
import { type Check, LIMITS, ok, problem } from "./types.ts";

const REINIT = "restore .hyperion/hyperion.db from a backup, or move it aside and run `hyperion init`";

/** Schema version and the migration record. */
export const checkDatabase = (db: Database): Check => {
  const sql = doctorSql(db);
  const ref = referenceSchema();
  const version = sql.userVersion();
  const applied = sql.appliedVersions();
  const details = { version, latest: ref.version, applied };
  if (version > ref.version)
    return problem(
      "fail",
      "database",
      `schema version ${version} is newer than this hyperion knows (${ref.version})`,
      "upgrade hyperion",
      false,
      details,
    );
  if (version < ref.version)
    return problem(
      "fail",
      "database",
      `schema version ${version} of ${ref.version}: migrations ${version + 1}..${ref.version} not applied`,
      "run `hyperion doctor --fix` to apply them",
      true,
      details,
    );
  const missing = Array.from({ length: ref.version }, (_, i) => i + 1).filter((v) => !applied.includes(v));
  if (missing.length)
    return problem(
      "warn",
      "database",
      `schema version ${version}, but schema_migrations lacks ${missing.join(", ")}`,
      "the record was edited; compare the schema with a fresh `hyperion init`",
      false,
      details,
    );
  return ok("database", `schema version ${version}, migrations 1..${ref.version} applied`, details);
};

/** Every table and column the migrations create. */
export const checkTables = (db: Database): Check => {
  const have = tableColumns(db);
  const gaps: string[] = [];
  for (const [table, cols] of referenceSchema().tables) {
    const got = have.get(table);
    if (!got) gaps.push(table);
    else for (const c of cols) if (!got.includes(c)) gaps.push(`${table}.${c}`);
  }
  if (gaps.length)
    return problem("fail", "tables", `missing: ${gaps.join(", ")}`, REINIT, false, { missing: gaps });
  return ok("tables", `${referenceSchema().tables.size} tables with every expected column`);
};

/** Every index the migrations create, by name; the queue's speed depends on them. */
export const checkIndexes = (db: Database): Check => {
  const have = indexObjects(db);
  const missing = [...referenceSchema().indexes.keys()].filter((n) => !have.has(n));
  if (missing.length)
    return problem(
      "fail",
      "indexes",
      `missing ${missing.length === 1 ? "index" : "indexes"}: ${missing.join(", ")}`,
      "run `hyperion doctor --fix` to recreate them",
      true,
      { missing },
    );
  return ok("indexes", `${referenceSchema().indexes.size} expected indexes present`);
};

export const checkJournal = (db: Database): Check => {
  const mode = doctorSql(db).journalMode();
  if (mode === "wal") return ok("journal_mode", "wal");
  return problem(
    "fail",
    "journal_mode",
    `journal_mode is ${mode}, not wal: workers would block each other`,
    "run `hyperion doctor --fix` to switch it to WAL",
    true,
    { journal_mode: mode },
  );
};

export const checkIntegrity = (db: Database, full: boolean): Check => {
  const pragma = full ? "integrity_check" : "quick_check";
  let found: string[];
  try {
    found = doctorSql(db).check(full);
  } catch (e) {
    // A page too damaged for the check to walk is itself the finding.
    const code = String((e as { code?: unknown }).code ?? "");
    if (!code.startsWith("SQLITE_CORRUPT") && code !== "SQLITE_NOTADB") throw e;
    found = [(e as Error).message];
  }
  if (found.length === 1 && found[0] === "ok") return ok("integrity", `${pragma}: ok`);
  return problem(
    "fail",
    "integrity",
    `${pragma}: ${found[0]}${found.length > 1 ? ` (+${found.length - 1} more)` : ""}`,
    `the file is damaged: ${REINIT} (\`sqlite3 hyperion.db .recover\` may save rows)`,
    false,
    { findings: found },
  );
};

/** The WAL's size: a large one means checkpoints are starved. */
export const checkWal = (db: Database, path: string): Check => {
  const wal = `${path}-wal`;
  const bytes = existsSync(wal) ? statSync(wal).size : 0;
  const page = doctorSql(db).pageSize();
  const frames = bytes > 32 ? Math.floor((bytes - 32) / (page + 24)) : 0;
  const details = { wal_bytes: bytes, frames, page_size: page };
  if (bytes > LIMITS.walBytes)
    return problem(
      "warn",
      "wal",
      `WAL is ${(bytes / 1048576).toFixed(1)} MiB (${frames} frames)`,
      "run `hyperion doctor --fix` to checkpoint it; a long-running reader may be holding it",
      true,
      details,
    );
  return ok(
    "wal",
    bytes === 0 ? "WAL empty (checkpointed)" : `WAL ${(bytes / 1024).toFixed(0)} KiB, ${frames} frames`,
    details,
  );
};

export const describeAge = (ms: number | null, now: number): string => (ms === null ? "-" : age(now - ms));
