import type { Database } from "bun:sqlite";
import { hostname } from "node:os";
import { processAlive } from "../process.ts";
import { defaultConfig } from "../schema/index.ts";
import { applySql, type JournalRow } from "../store/apply-sql.ts";
import { OWNER, pendingUnits, settle } from "./journal.ts";
import { realRoot } from "./paths.ts";
import type { Limits } from "./shape.ts";
import { dropStaleSpares } from "./spares.ts";

/** The tree and the store to repair. */
export type RecoverContext = {
  repo: string;
  db: Database;
  limits?: Limits;
  /** Settle entries of live processes too: only when the operator knows no other process applies. */
  force?: boolean;
};

/** Change ids by what recovery did with their pending journal entries. */
export type Recovered = {
  /** Changes (or rollbacks) finished from their temp files. */
  rolledForward: string[];
  /** Changes undone to their pre-images. */
  rolledBack: string[];
  /** Entries left pending: a file holds neither the old nor the new content; a person must look. */
  stuck: string[];
  /** Entries of a process that is still running, left to it. */
  skipped: string[];
};

/** True unless the journal owner is a process on this host that no longer exists. */
const alive = (owner: string): boolean => {
  if (owner === OWNER) return true;
  const parts = owner.split(":");
  const start = parts.pop();
  const pid = Number(parts.pop());
  if (parts.join(":") !== hostname() || !Number.isInteger(pid)) return true;
  if (pid === process.pid) return start === OWNER.split(":").pop(); // same pid, earlier process
  // A zombie is dead (kill(pid, 0) would say alive); so is a pid reused since, where the row
  // recorded /proc's start time (older rows hold an epoch time origin instead).
  return processAlive(pid, start !== undefined && Number(start) < 1e12 ? start : null);
};

/**
 * Repairs applies a crash left half done, at start: each pending journal entry of a dead process
 * is rolled forward when its temp files are complete, else back to its pre-images. The spare
 * inodes a dead process kept (see Spares) are removed.
 */
export const recoverApplies = (ctx: RecoverContext): Recovered => {
  const root = realRoot(ctx.repo);
  const sql = applySql(ctx.db);
  const limits = ctx.limits ?? defaultConfig().limits;
  const out: Recovered = { rolledForward: [], rolledBack: [], stuck: [], skipped: [] };
  dropStaleSpares(root, (owner) => !ctx.force && alive(owner));
  const mine: JournalRow[] = [];
  for (const row of sql.pending()) {
    if (!ctx.force && alive(row.owner)) out.skipped.push(row.change_id);
    else mine.push(row);
  }
  for (const unit of pendingUnits(mine)) note(out, unit, settle(root, sql, unit, limits.max_file_bytes));
  return out;
};

/** Records under each entry's name (`rollback:ID` for a rollback) which way its unit went. */
const note = (out: Recovered, unit: readonly JournalRow[], how: "forward" | "back" | "stuck"): void => {
  for (const row of unit) {
    const name = row.kind === "rollback" ? `rollback:${row.change_id}` : row.change_id;
    if (how === "forward") out.rolledForward.push(name);
    else if (how === "back") out.rolledBack.push(name);
    else out.stuck.push(name);
  }
};

/**
 * Settles the pending journal entries (apply or rollback) of these changes that `mine` claims
 * (by the journal row's owner), for a caller that knows their writer is gone though its process
 * lives: a crashed worker thread, or its own apply that threw midway. Other entries are left to
 * recovery. `prefer: "back"` undoes even complete entries.
 */
export const settleChanges = (
  ctx: Omit<RecoverContext, "force">,
  changeIds: readonly string[],
  mine: (owner: string) => boolean = (owner) => owner === OWNER,
  prefer: "forward" | "back" = "back",
): Recovered => {
  const root = realRoot(ctx.repo);
  const sql = applySql(ctx.db);
  const limits = ctx.limits ?? defaultConfig().limits;
  const out: Recovered = { rolledForward: [], rolledBack: [], stuck: [], skipped: [] };
  const ids = new Set(changeIds);
  // A unit is settled whole: a stack written once has one state on disk for all its entries.
  const units = pendingUnits(sql.pending().filter((row) => mine(row.owner)));
  for (const unit of units) {
    if (unit.some((row) => ids.has(row.change_id)))
      note(out, unit, settle(root, sql, unit, limits.max_file_bytes, prefer));
  }
  return out;
};
