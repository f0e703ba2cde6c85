import type { QueueContext } from "./_context.ts";
import { type LeaseRow, leaseFacts } from "./_lease-facts.ts";
import { failDependents } from "./_stack.ts";
import { ownerGone } from "./owner.ts";

type Leased = LeaseRow & { seq: number; id: string; leased_until: number; max_attempts: number };

/** A lease as this process last saw it, and since when (its monotonic clock) it has not moved. */
type Seen = { token: number; until: number; since: number };

// One record per connection's context, shared by leasing (which sees its own grants) and reclaim.
const watched = new WeakMap<QueueContext, Map<string, Seen>>();
const seenOf = (ctx: QueueContext) => {
  const m = watched.get(ctx) ?? new Map<string, Seen>();
  watched.set(ctx, m);
  return m;
};

/** Notes a lease this process granted or extended: it was alive then, by its own clock. */
export const noteLease = (ctx: QueueContext, id: string, token: number, until: number): void => {
  seenOf(ctx).set(id, { token, until, since: ctx.monotonic() });
};

export type ReclaimHow = {
  /** Every lease of this owner (a crashed worker thread: its process lives on, so only the pool knows). */
  owner?: string;
  /** Judge expiry by this host's wall clock alone (an operator's `doctor --fix`). */
  wallClock?: boolean;
};

/**
 * Returns abandoned leases to the queue: those whose owner is a process on this host that has
 * exited, and those that have expired. Expired means past `leased_until` and, because another
 * process's clock may be stepped (an hour ahead sees every lease as expired), also not extended
 * for a whole lease length while this process watched it, by a clock no step moves. A live
 * owner heartbeats well within that, so only a stalled or dead one is taken over. The lease
 * length is the owner's own (`leased_until - leased_at`, both its clock), at most `lease_ms`.
 * A change that has used up its attempts this way (it keeps killing its workers) becomes a dead
 * letter instead. Runs inside the caller's transaction.
 */
export const makeReclaimInTx = (ctx: QueueContext) => {
  const { sql } = ctx;
  return (now: number, how: ReclaimHow = {}): number => {
    const rows = sql.leasedRows() as Leased[];
    const seen = seenOf(ctx);
    const mono = ctx.monotonic();
    const live = new Map<string, Seen>();
    let n = 0;
    for (const r of rows) {
      let s = seen.get(r.id);
      if (!s || s.token !== r.lease_token || s.until !== r.leased_until) {
        s = { token: r.lease_token, until: r.leased_until, since: mono };
      }
      live.set(r.id, s);
      const length = Math.min(r.leased_until - (r.leased_at ?? r.leased_until), ctx.config.lease_ms);
      const expired = r.leased_until < now && (how.wallClock || mono - s.since >= length);
      const reason =
        how.owner !== undefined
          ? r.lease_owner === how.owner
            ? "owner_crashed"
            : null
          : expired
            ? "expired"
            : ownerGone(r.lease_owner)
              ? "owner_gone"
              : null;
      if (reason === null) continue;
      live.delete(r.id);
      const data = { reason, owner: r.lease_owner, ...leaseFacts(r) };
      if (r.attempts >= r.max_attempts) {
        const message = `lease ${reason} on attempt ${r.attempts} of ${r.max_attempts}`;
        const lastError = JSON.stringify({ code: "E_LEASE_EXPIRED", message, retryable: true });
        sql.finishLease(r.id, r.lease_token, "dead", now, lastError);
        sql.insertDead(r.id, "E_LEASE_EXPIRED", message, lastError, r.attempts, now);
        ctx.event(r.id, "lease_expired", { ...data, outcome: "dead" }, "error", r.lease_owner);
        failDependents(ctx, r.id, "dead (E_LEASE_EXPIRED)");
      } else {
        sql.requeueLease(r.id, r.lease_token, now, 0, null, now);
        ctx.event(r.id, "lease_expired", { ...data, outcome: "queued" }, "warn", r.lease_owner);
      }
      n++;
    }
    // Only leases still held are remembered.
    watched.set(ctx, live);
    return n;
  };
};

/** The changes `owner` holds leases on now. */
export const makeLeasedBy =
  (ctx: QueueContext) =>
  (owner: string): string[] =>
    (ctx.sql.leasedRows() as Leased[]).filter((r) => r.lease_owner === owner).map((r) => r.id);
