import type { Database } from "bun:sqlite";
import { HyperionError, usageError } from "../errors.ts";
import { archivedChange } from "../store/summary-sql.ts";
import type { QueueContext } from "./_context.ts";
import { type LeaseRow, leaseFacts } from "./_lease-facts.ts";
import { failDependents } from "./_stack.ts";
import { retryDelay } from "./backoff.ts";
import type { Failure } from "./types.ts";

/** A leased row as finishLease and leaseOf return it. */
type Held = LeaseRow & { seq: number; id: string; status?: string; max_attempts: number };

const applyMs = (r: LeaseRow, now: number) => (r.leased_at === null ? null : now - r.leased_at);

/** E_LEASE_LOST: the token is not the change's current lease (it expired and was taken over, or ended). */
const leaseLost = (ctx: QueueContext, id: string, token: number) => {
  const row = ctx.sql.byId(id) as { status: string; lease_token: number } | null;
  const now = row ? `it is ${row.status}, lease token ${row.lease_token}` : "no such change";
  return new HyperionError("E_LEASE_LOST", `lease ${token} of ${id} is no longer held (${now})`, {
    exitCode: 1,
    hint: "the lease expired and the change went back to the queue; drop this result",
    details: { id, token, status: row?.status ?? null, current_token: row?.lease_token ?? null },
  });
};

/** Ending a lease: applied, failed (retry or dead letter), released; and requeueing dead letters. */
export const makeOutcome = (ctx: QueueContext) => {
  const { sql } = ctx;

  /** The `applied` event of a lease just ended: its facts, then what the worker passed. */
  const appliedData = (r: LeaseRow, now: number, data: object | undefined) =>
    JSON.stringify({ ...leaseFacts(r), apply_ms: applyMs(r, now), ...data });

  const applyOne = (id: string, token: number, data: object | undefined, now: number): boolean => {
    const r = sql.finishLease(id, token, "applied", now, null) as Held | null;
    if (!r) return false;
    sql.insertLog(id, now, "info", "applied", r.lease_owner, appliedData(r, now, data));
    return true;
  };

  /** complete, inside the caller's transaction. */
  const completeInTx = (id: string, token: number, data?: object): void => {
    if (!applyOne(id, token, data, ctx.now())) throw leaseLost(ctx, id, token);
  };
  const complete = ctx.tx(completeInTx);

  const completeMany = ctx.tx(
    (items: { id: string; token: number; data?: object }[]): { applied: string[]; lost: string[] } => {
      const now = ctx.now();
      const rows = sql.completeMany(
        items.map((it) => [it.id, it.token]),
        now,
      ) as (LeaseRow & { id: string })[];
      const done = new Map(rows.map((r) => [r.id, r]));
      const applied = items.filter((it) => done.has(it.id));
      sql.insertLogs(
        applied.map((it) => {
          const r = done.get(it.id)!;
          return [it.id, now, "info", "applied", r.lease_owner, appliedData(r, now, it.data)];
        }),
      );
      return {
        applied: applied.map((it) => it.id),
        lost: items.filter((it) => !done.has(it.id)).map((it) => it.id),
      };
    },
  );

  const fail = ctx.tx((id: string, token: number, err: Failure): "queued" | "dead" => {
    const now = ctx.now();
    const row = sql.leaseOf(id) as Held | null;
    if (row?.status !== "leased" || row.lease_token !== token) throw leaseLost(ctx, id, token);
    const lastError = JSON.stringify(err);
    const base = {
      ...leaseFacts(row),
      apply_ms: applyMs(row, now),
      code: err.code,
      message: err.message,
      retryable: err.retryable,
    };
    if (err.retryable && row.attempts < row.max_attempts) {
      const delay = retryDelay(row.attempts, ctx.config);
      sql.requeueLease(id, token, now + delay, 0, lastError, now);
      ctx.event(id, "failed", { ...base, outcome: "queued", delay_ms: delay }, "warn", row.lease_owner);
      return "queued";
    }
    sql.finishLease(id, token, "dead", now, lastError);
    const exhausted = err.retryable;
    const code = exhausted ? "E_ATTEMPTS_EXHAUSTED" : err.code;
    const message = exhausted
      ? `failed ${row.attempts} times; last: ${err.code}: ${err.message}`
      : err.message;
    sql.insertDead(id, code, message, lastError, row.attempts, now);
    ctx.event(id, "dead", { ...base, reason_code: code, outcome: "dead" }, "error", row.lease_owner);
    failDependents(ctx, id, `dead (${code})`);
    return "dead";
  });

  const release = ctx.tx((id: string, token: number): boolean => {
    const now = ctx.now();
    // Not a failure: the attempt this lease counted is given back.
    const row = sql.leaseOf(id) as Held | null;
    if (!row || !sql.requeueLease(id, token, now, -1, null, now)) return false;
    ctx.event(id, "released", leaseFacts(row), "info", row.lease_owner);
    return true;
  });

  const retry = ctx.tx((id: string): void => {
    const now = ctx.now();
    const row = sql.byId(id) as { status: string } | null;
    if (!row) throw notFound(ctx.db, id);
    if (row.status !== "dead") {
      throw new HyperionError("E_NOT_DEAD", `${id} is ${row.status}, not a dead letter`, {
        hint: "only dead letters can be retried",
        details: { id, status: row.status },
      });
    }
    const previous = sql.deadLetter(id);
    // Back of the line (a new seq, before it joins): changes queued on its paths meanwhile keep their turn.
    const seq = sql.renumber(id);
    sql.setStatus(id, "dead", "queued", now, { availableAt: now, attempts: 0 });
    sql.deleteDead(id);
    ctx.event(id, "retried", { dead_letter: previous, seq });
  });

  return {
    completeInTx,
    complete,
    completeMany,
    fail,
    release,
    retry,
  };
};

const isoTime = (ms: number) => new Date(ms).toISOString();

/**
 * The error for a change id the live queue does not hold: E_ARCHIVED naming the archive file
 * when archival moved it there, else E_NOT_FOUND.
 */
export const notFound = (
  db: Database,
  id: string,
  what = "change",
  hint = "list changes with `hyperion list`",
): HyperionError => {
  const archived = archivedChange(db, id);
  if (!archived) return usageError("E_NOT_FOUND", `no ${what} '${id}'`, hint, { id });
  const when = archived.archived_at === null ? "" : ` on ${isoTime(archived.archived_at)}`;
  return usageError(
    "E_ARCHIVED",
    `${id} was archived${when} in ${archived.file} (${archived.status} at ${isoTime(archived.finished_at)})`,
    "archived changes are kept read-only in that file; open it with sqlite3 to read them",
    { ...archived },
  );
};
