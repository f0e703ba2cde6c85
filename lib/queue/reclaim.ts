import type { QueueContext } from "./_context.ts";
import { type LeaseRow, leaseFacts } from "./_lease-facts.ts";
import { ownerGone } from "./owner.ts";

type Leased = LeaseRow & { seq: number; id: string; leased_until: number; max_attempts: number };

/**
 * Returns abandoned leases to the queue: those past `leased_until`, and those whose owner is a
 * process on this host that has exited; or, given `owner`, every lease of that owner (a worker
 * thread that crashed: its process lives on, so only the pool knows). A change that has used up
 * its attempts this way (it keeps killing its workers) becomes a dead letter instead.
 * Runs inside the caller's transaction.
 */
export const makeReclaimInTx = (ctx: QueueContext) => {
  const { sql } = ctx;
  return (now: number, owner?: string): number => {
    const rows = sql.leasedRows() as Leased[];
    let n = 0;
    for (const r of rows) {
      const reason =
        owner !== undefined
          ? r.lease_owner === owner
            ? "owner_crashed"
            : null
          : r.leased_until < now
            ? "expired"
            : ownerGone(r.lease_owner)
              ? "owner_gone"
              : null;
      if (reason === null) continue;
      const data = { reason, owner: r.lease_owner, ...leaseFacts(r) };
      if (r.attempts >= r.max_attempts) {
        const message = `lease ${reason} on attempt ${r.attempts} of ${r.max_attempts}`;
        const lastError = JSON.stringify({ code: "E_LEASE_EXPIRED", message, retryable: true });
        sql.finishLease(r.id, r.lease_token, "dead", now, lastError);
        sql.insertDead(r.id, "E_LEASE_EXPIRED", message, lastError, r.attempts, now);
        ctx.event(r.id, "lease_expired", { ...data, outcome: "dead" }, "error", r.lease_owner);
      } else {
        sql.requeueLease(r.id, r.lease_token, now, 0, null, now);
        ctx.event(r.id, "lease_expired", { ...data, outcome: "queued" }, "warn", r.lease_owner);
      }
      n++;
    }
    return n;
  };
};

/** The changes `owner` holds leases on now. */
export const makeLeasedBy =
  (ctx: QueueContext) =>
  (owner: string): string[] =>
    (ctx.sql.leasedRows() as Leased[]).filter((r) => r.lease_owner === owner).map((r) => r.id);
