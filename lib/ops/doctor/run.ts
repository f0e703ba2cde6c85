import type { Database } from "bun:sqlite";
import { chmodSync, existsSync } from "node:fs";
import { createQueue } from "../../queue/index.ts";
import { type Config, defaultConfig } from "../../schema/index.ts";
import { storageError } from "../../store/db-errors.ts";
import { doctorFixes, doctorSql, openForInspection, referenceSchema } from "../../store/doctor-sql.ts";
import {
  type LocateOptions,
  type Locations,
  loadConfig,
  locate,
  openDatabase,
  readSecret,
} from "../../store/index.ts";
import { checkBackups } from "../backup.ts";
import {
  checkDatabase,
  checkIndexes,
  checkIntegrity,
  checkJournal,
  checkTables,
  checkWal,
} from "./db-checks.ts";
import { checkAgents, checkSandbox, checkSecret, checkWorkplan } from "./file-checks.ts";
import { checkArchive, checkLeases, checkStuck } from "./queue-checks.ts";
import { checkLinks, checkWalPresent, checkWritable } from "./storage-checks.ts";
import { type Check, type DoctorReport, ok, problem, type Repair } from "./types.ts";

export type DoctorOptions = LocateOptions & {
  /** PRAGMA integrity_check instead of the quicker quick_check. */
  full?: boolean;
  /** Make the safe repairs, then check again. */
  fix?: boolean;
};

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split("\n")[0]!;

/** Runs one check; a check that cannot run (a damaged file, a missing table) is itself a failure. */
const guarded = (name: string, fn: () => Check): Check => {
  try {
    return fn();
  } catch (e) {
    return problem(
      "fail",
      name,
      `could not check: ${message(e)}`,
      "fix the failures above first, then run `hyperion doctor` again",
    );
  }
};

const inspect = (loc: Locations, opts: DoctorOptions): { checks: Check[]; config: Config } => {
  const now = Date.now();
  const checks: Check[] = [];
  let config = defaultConfig();
  const configCheck = guarded("config", () => {
    if (!existsSync(loc.config)) return ok("config", "no config.json: defaults in effect");
    config = loadConfig(loc);
    return ok("config", `${loc.config} is valid`);
  });
  if (!existsSync(loc.db)) {
    checks.push(
      problem("fail", "database", `no database at ${loc.db}`, "run `hyperion init` in the repository"),
    );
  } else {
    checks.push(
      guarded("wal_present", () => checkWalPresent(loc.db)),
      guarded("links", () => checkLinks(loc.db)),
      guarded("writable", () => checkWritable(loc.db)),
    );
    let db: Database | undefined;
    try {
      db = openForInspection(loc.db);
      doctorSql(db).userVersion();
    } catch (e) {
      db?.close();
      db = undefined;
      // Only damaged pages call for a backup; a file that cannot be opened (permissions, locks)
      // is healthy until shown otherwise, and moving it aside would lose it.
      const damaged = (storageError(loc.db, e) as { code?: string } | null)?.code === "E_DB_CORRUPT";
      checks.push(
        problem(
          "fail",
          "database",
          `cannot read ${loc.db}: ${message(e)}`,
          damaged
            ? "copy it aside, then restore it from a backup or try `sqlite3 hyperion.db .recover`"
            : "check the permissions of the file and of .hyperion/ (and that no process holds it locked)",
        ),
      );
    }
    if (db) {
      try {
        const d = db;
        checks.push(
          guarded("database", () => checkDatabase(d)),
          guarded("tables", () => checkTables(d)),
          guarded("indexes", () => checkIndexes(d)),
          guarded("journal_mode", () => checkJournal(d)),
          guarded("integrity", () => checkIntegrity(d, opts.full ?? false)),
          guarded("wal", () => checkWal(d, loc.db)),
          guarded("leases", () => checkLeases(d, now)),
          guarded("stuck", () => checkStuck(d, now)),
          guarded("archive", () => checkArchive(d, loc.archive, config, now)),
          guarded("workplan", () => checkWorkplan(loc.repo, d)),
        );
      } finally {
        db.close();
      }
    }
  }
  checks.push(
    guarded("secret", () => checkSecret(loc)),
    configCheck,
    guarded("agents", () => checkAgents(config)),
    guarded("backup", () => checkBackups(loc.repo, config, Date.now())),
    guarded("sandbox", () => checkSandbox(config)),
  );
  return { checks, config };
};

/** The safe repairs for what `checks` found; each is recorded, a repair that fails says why. */
const repair = (loc: Locations, checks: Check[], config: Config): Repair[] => {
  const done: Repair[] = [];
  const found = (name: string) => checks.find((c) => c.name === name && c.status !== "ok");
  const attempt = (name: string, fn: () => string | null) => {
    try {
      const action = fn();
      if (action) done.push({ name, action });
    } catch (e) {
      done.push({ name, action: `not repaired: ${message(e)}` });
    }
  };
  if (found("secret")?.fixable)
    attempt("secret", () => {
      chmodSync(loc.secret, 0o600);
      return `chmod 600 ${loc.secret}`;
    });
  if (!existsSync(loc.db)) return done;
  const behind = found("database")?.fixable;
  let db: Database;
  try {
    // openDatabase applies missing migrations and switches the file to WAL.
    db = openDatabase(loc.db);
  } catch (e) {
    done.push({ name: "database", action: `not repaired: ${message(e)}` });
    return done;
  }
  try {
    if (behind)
      done.push({ name: "database", action: `applied migrations up to ${referenceSchema().version}` });
    if (found("journal_mode")?.fixable)
      attempt("journal_mode", () => `journal_mode = ${doctorFixes(db).setWal()}`);
    const missing = found("indexes")?.details?.missing as string[] | undefined;
    if (missing?.length)
      attempt("indexes", () => {
        for (const name of missing) doctorFixes(db).createIndex(referenceSchema().indexes.get(name)!.sql);
        return `recreated ${missing.join(", ")}`;
      });
    if (found("leases")?.fixable)
      attempt("leases", () => {
        // reclaim signs nothing; the key is only needed when it is readable.
        const secret = existsSync(loc.secret) ? readSecret(loc) : new Uint8Array(0);
        const n = createQueue(db, { secret, config: config.queue }).reclaim({ wallClock: true });
        return `returned ${n} stale ${n === 1 ? "lease" : "leases"} to the queue`;
      });
    attempt("wal", () => {
      const r = doctorFixes(db).checkpoint();
      if (r.log <= 0 && r.busy === 0) return null;
      return r.busy
        ? `checkpoint incomplete: a reader holds the WAL (${r.checkpointed}/${r.log} frames)`
        : `checkpointed ${r.checkpointed} frames`;
    });
  } finally {
    db.close();
  }
  return done;
};

/** `hyperion doctor`: every check, and with `fix` the safe repairs followed by a fresh look. */
export const runDoctor = (opts: DoctorOptions = {}): DoctorReport => {
  const loc = locate(opts);
  let fixed: Repair[] = [];
  let { checks, config } = inspect(loc, opts);
  if (opts.fix) {
    fixed = repair(loc, checks, config);
    ({ checks, config } = inspect(loc, opts));
  }
  return { ok: !checks.some((c) => c.status === "fail"), repo: loc.repo, db: loc.db, checks, fixed };
};
