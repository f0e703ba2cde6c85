/** The columns of a leased row that its facts come from (what the queue's statements return). */
export type LeaseRow = {
  lease_owner: string | null;
  lease_token: number;
  attempts: number;
  leased_at: number | null;
  enqueued_at: number;
  available_at: number;
  lease_lock_ms: number | null;
  lease_busy_retries: number | null;
  lease_poll_ms: number | null;
};

/**
 * A lease's telemetry as the event that ends it (applied, failed, dead, released,
 * lease_expired) records it: one event per lease, written with its outcome.
 */
export const leaseFacts = (r: LeaseRow) => ({
  token: r.lease_token,
  attempt: r.attempts,
  dequeue_ms: r.leased_at === null ? null : r.leased_at - r.enqueued_at,
  wait_ms: r.leased_at === null ? null : r.leased_at - Math.max(r.available_at, r.enqueued_at),
  lock_ms: r.lease_lock_ms,
  busy_retries: r.lease_busy_retries,
  poll_ms: r.lease_poll_ms,
});
