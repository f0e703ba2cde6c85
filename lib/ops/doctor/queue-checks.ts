import type { Database } from "bun:sqlite";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { ownerGone } from "../../queue/index.ts";
import type { Config } from "../../schema/index.ts";
import { doctorSql } from "../../store/doctor-sql.ts";
import { countArchivable } from "../../store/queue/archive.ts";
import { age } from "../time.ts";
import { type Check, LIMITS, ok, problem } from "./types.ts";

/** Leases past their end, or held by a process on this host that has exited. */
export const checkLeases = (db: Database, now: number): Check => {
  const leased = doctorSql(db).leased();
  const stale = leased.filter((l) => (l.leased_until ?? 0) < now || ownerGone(l.lease_owner));
  if (stale.length === 0) return ok("leases", `${leased.length} active, none stale`);
  const ids = stale.map((l) => l.id);
  return problem(
    "warn",
    "leases",
    `${stale.length} stale ${stale.length === 1 ? "lease" : "leases"} (expired or owner gone): ${ids.slice(0, 5).join(", ")}${ids.length > 5 ? ", ..." : ""}`,
    "run `hyperion doctor --fix` to return them to the queue (a running worker also does)",
    true,
    { changes: ids },
  );
};

/** Changes waiting on a person, or on a worker that is not there. */
export const checkStuck = (db: Database, now: number): Check => {
  const sql = doctorSql(db);
  const held = sql.stale("awaiting_approval", now - LIMITS.awaitingMs);
  const waiting = sql.waiting(now - LIMITS.queuedMs);
  const details = { awaiting_approval: held.n, queued_waiting: waiting.n };
  if (held.n > 0)
    return problem(
      "warn",
      "stuck",
      `${held.n} ${held.n === 1 ? "change has" : "changes have"} awaited approval for over ${age(LIMITS.awaitingMs)} (oldest ${age(now - (held.oldest ?? now))})`,
      "review them: `hyperion list --status awaiting_approval`, then `hyperion approve|reject ID`",
      false,
      details,
    );
  if (waiting.n > 0)
    return problem(
      "warn",
      "stuck",
      `${waiting.n} queued ${waiting.n === 1 ? "change has" : "changes have"} been due for over ${age(LIMITS.queuedMs)} without a lease (oldest ${age(now - (waiting.oldest ?? now))})`,
      "start a worker: `hyperion run` or `hyperion worker`",
      false,
      details,
    );
  return ok("stuck", "no change stuck in a status", details);
};

/** The archive folder and the TTL that feeds it. */
export const checkArchive = (db: Database, dir: string, config: Config, now: number): Check => {
  const ttl = config.queue.archive_after_ms;
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".db")) : [];
  const bytes = files.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  // What `hyperion prune` would move now, counted as archival counts it.
  const { changes: due, modifications: edits } = countArchivable(db, now - ttl);
  const details = {
    dir,
    files: files.length,
    bytes,
    archive_after_ms: ttl,
    archive_batch: config.queue.archive_batch,
    due,
    external_edits_due: edits,
  };
  const where = files.length
    ? `${files.length} archive ${files.length === 1 ? "file" : "files"} (${(bytes / 1024).toFixed(0)} KiB)`
    : "no archive yet";
  if (due + edits > 0) {
    const what = [
      ...(due > 0 ? [`${due} finished ${due === 1 ? "change" : "changes"}`] : []),
      ...(edits > 0 ? [`${edits} external ${edits === 1 ? "edit" : "edits"}`] : []),
    ].join(" and ");
    return problem(
      "warn",
      "archive",
      `${where}; ${what} older than the TTL (${age(ttl)})`,
      "run `hyperion prune` (or `hyperion archive --older-than 7d`)",
      false,
      details,
    );
  }
  return ok(
    "archive",
    `${where}; TTL ${age(ttl)}, batch ${config.queue.archive_batch}; nothing due`,
    details,
  );
};
