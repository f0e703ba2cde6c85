import { HyperionError } from "../errors.ts";
import type { LeaseTelemetry } from "../store/queue/statements.ts";
import type { QueueContext } from "./_context.ts";
import { makeReclaimInTx, noteLease } from "./reclaim.ts";
import type { Leased } from "./types.ts";

export type LeaseOptions = {
  /** Lease length; default config.lease_ms. */
  leaseMs?: number;
  /** The caller's poll interval, recorded with the lease (telemetry, in the event that ends it). */
  pollMs?: number;
  /**
   * Also lease the changes stacked behind those picked (each path's successors whose every
   * predecessor this owner now holds), within the same count: the caller applies them in seq
   * order, as one group.
   */
  stacks?: boolean;
};

type LeasedRaw = Omit<Leased, "token" | "owner" | "needs_rebase"> & {
  lease_token: number;
  lease_owner: string;
  needs_rebase: number;
  available_at: number;
};

/**
 * Leasing, in one BEGIN IMMEDIATE transaction: first return abandoned leases, then take the
 * best ready changes. "Ready" (kept by every transition) means queued, first in line on each of
 * its paths and none of them leased, so the pick is one read of an index head and changes
 * picked together never share a path.
 */
export const makeLease = (ctx: QueueContext) => {
  const { sql } = ctx;
  const reclaim = makeReclaimInTx(ctx);
  let reclaimedAt = Number.NEGATIVE_INFINITY;

  /** Leases up to `n` changes inside the caller's transaction. */
  const leaseInTx = (
    owner: string,
    n: number,
    leaseMs: number,
    pollMs: number | undefined,
    stacks = false,
  ): Leased[] => {
    const now = ctx.now();
    // Abandoned leases wait at most reclaim_interval_ms longer: the scan (and a kill(pid, 0) per
    // leased row) is not worth paying on every lease.
    if (now < reclaimedAt || now - reclaimedAt >= ctx.config.reclaim_interval_ms) {
      reclaimedAt = now;
      reclaim(now);
    }
    const out: Leased[] = [];
    const t: LeaseTelemetry = {
      lockMs: Math.round(ctx.lock.lockMs * 1000) / 1000,
      busyRetries: ctx.lock.busyRetries,
      pollMs: pollMs ?? null,
    };
    // One change is one statement; so is a batch.
    if (stacks && n > 1) {
      out.push(...leaseStacks(owner, n, now + leaseMs, now, t));
    } else if (n === 1) {
      const r = sql.leaseNext(owner, now + leaseMs, now, t) as LeasedRaw | null;
      if (r) out.push(toLeased(r));
    } else {
      const rows = sql.leaseMany(owner, now + leaseMs, now, n, t) as LeasedRaw[];
      rows.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
      for (const r of rows) out.push(toLeased(r));
    }
    // Fewer than asked: none left, or a stale flag the rule refused; the loop below repairs it.
    for (let round = 0; out.length < n && round < 8; round++) {
      const seqs = sql.pick(now, n - out.length);
      if (seqs.length === 0) break;
      let stale = 0;
      for (const seq of seqs) {
        const r = sql.markLeased(seq, owner, now + leaseMs, now, t) as LeasedRaw | null;
        if (r) out.push(toLeased(r));
        else {
          // The flag said ready, the rule says no: repair the flag and pick again.
          sql.recompute(seq);
          stale++;
        }
      }
      if (stale === 0) break;
    }
    for (const l of out) noteLease(ctx, l.id, l.token, l.leased_until);
    return out;
  };
  /**
   * Changes first in line with the stacks behind them, `n` in all, in seq order (each change
   * after those it stands on), leased in one statement. A quarter of the room goes to changes
   * first in line, the rest, layer by layer, to those standing only behind changes taken (or held
   * by this owner already); what is left then goes to more changes first in line.
   */
  const leaseStacks = (owner: string, n: number, until: number, now: number, t: LeaseTelemetry): Leased[] => {
    const taken = new Set<number>();
    const ready = sql.pick(now, n);
    for (let next = 0, share = 4; taken.size < n && next < ready.length; ) {
      const heads = ready.slice(next, next + Math.ceil((n - taken.size) / share));
      next += heads.length;
      for (const s of heads) taken.add(s);
      const before = taken.size;
      for (let front = heads; front.length > 0 && taken.size < n; ) {
        const fits = new Map<number, boolean>();
        for (const r of sql.behind(front)) {
          const ok =
            r.status === "queued" &&
            r.available_at <= now &&
            (taken.has(r.before_seq) || (r.before_status === "leased" && r.before_owner === owner));
          fits.set(r.seq, (fits.get(r.seq) ?? true) && ok);
        }
        front = [...fits]
          .flatMap(([s, ok]) => (ok && !taken.has(s) ? [s] : []))
          .sort((a, b) => a - b)
          .slice(0, n - taken.size);
        for (const s of front) taken.add(s);
      }
      // Nothing stood behind these heads: the rest of the room goes to heads.
      share = taken.size > before ? 4 : 1;
    }
    if (taken.size === 0) return [];
    const rows = sql.leaseSeqs(owner, until, now, t, [...taken]) as LeasedRaw[];
    // Read in this transaction, nothing changed since: a shortfall is a broken rule, not a race.
    if (rows.length !== taken.size)
      throw new HyperionError("E_INTERNAL", `leased ${rows.length} of ${taken.size} changes of a stack`);
    return rows.map(toLeased).sort((a, b) => a.seq - b.seq);
  };
  const take = ctx.tx(leaseInTx);

  const heartbeatTx = ctx.tx((id: string, token: number, leaseMs: number): boolean => {
    const until = ctx.now() + leaseMs;
    const ok = sql.heartbeat(id, token, until, ctx.now());
    if (ok) noteLease(ctx, id, token, until);
    return ok;
  });

  return {
    leaseInTx,
    lease: (owner: string, opts: LeaseOptions = {}): Leased | null =>
      take(owner, 1, opts.leaseMs ?? ctx.config.lease_ms, opts.pollMs)[0] ?? null,
    leaseBatch: (owner: string, n: number, opts: LeaseOptions = {}): Leased[] =>
      n < 1 ? [] : take(owner, Math.trunc(n), opts.leaseMs ?? ctx.config.lease_ms, opts.pollMs, opts.stacks),
    heartbeat: (id: string, token: number, leaseMs?: number): boolean =>
      heartbeatTx(id, token, leaseMs ?? ctx.config.lease_ms),
  };
};

// Built by hand rather than parsed: this is the hot path, the columns come from our own typed
// SQL, and the one part that came from outside (the payload) is checked by its signature.
const toLeased = (r: LeasedRaw): Leased => ({
  id: r.id,
  seq: r.seq,
  task_id: r.task_id,
  token: r.lease_token,
  owner: r.lease_owner,
  attempts: r.attempts,
  max_attempts: r.max_attempts,
  leased_until: r.leased_until,
  priority: r.priority,
  payload: r.payload,
  payload_sha256: r.payload_sha256,
  signature: r.signature,
  risk: r.risk,
  risk_score: r.risk_score,
  needs_rebase: r.needs_rebase === 1,
  enqueued_at: r.enqueued_at,
});
