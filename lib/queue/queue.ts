import type { Database } from "bun:sqlite";
import type { Tip } from "../patch/validate.ts";
import type { ChangeRequest } from "../schema/index.ts";
import { createContext, type QueueOptions } from "./_context.ts";
import { type ArchiveOptions, makeArchive } from "./archive.ts";
import { makeEnqueue } from "./enqueue.ts";
import { makeInspect } from "./inspect.ts";
import { type LeaseOptions, makeLease } from "./lease.ts";
import { type MetricsSnapshot, makeMetrics } from "./metrics.ts";
import { makeOutcome } from "./outcome.ts";
import { makeLeasedBy, makeReclaimInTx } from "./reclaim.ts";
import { makeReview } from "./review.ts";
import type {
  ArchiveResult,
  ChangeStatus,
  DeadLetter,
  Enqueued,
  EnqueueOptions,
  Failure,
  Leased,
  QueueChange,
  QueueConfig,
  QueueLogEntry,
} from "./types.ts";

/** The merge queue over one connection. Each thread and process makes its own. */
export type Queue = {
  /** Stores one change request or a batch in one transaction; a reused id refuses the batch (E_DUPLICATE_ID). */
  enqueue: (crs: ChangeRequest | ChangeRequest[], opts?: EnqueueOptions) => Enqueued[];
  /** Leases the best ready change for `owner` (see ownerId), or null when none is ready. */
  lease: (owner: string, opts?: LeaseOptions) => Leased | null;
  /** Leases up to `n` ready changes in one transaction; they never share a path. */
  leaseBatch: (owner: string, n: number, opts?: LeaseOptions) => Leased[];
  /** Extends a lease; false when the token is no longer the change's lease. */
  heartbeat: (id: string, token: number, leaseMs?: number) => boolean;
  /** Marks a leased change applied; E_LEASE_LOST when the token is stale. */
  complete: (id: string, token: number, data?: object) => void;
  /** complete, then lease the next change for `owner`, in one transaction (a worker's loop); nothing happens on a stale token. */
  completeNext: (
    id: string,
    token: number,
    owner: string,
    data?: object,
    opts?: LeaseOptions,
  ) => Leased | null;
  /** Marks several leased changes applied in one transaction; stale tokens are listed in `lost`. */
  completeMany: (items: { id: string; token: number; data?: object }[]) => {
    applied: string[];
    lost: string[];
  };
  /** Records a failed attempt: back to the queue with backoff, or a dead letter; E_LEASE_LOST when stale. */
  fail: (id: string, token: number, err: Failure) => "queued" | "dead";
  /** Gives a lease back without counting a failure (graceful shutdown); false when stale. */
  release: (id: string, token: number) => boolean;
  /** Requeues a dead letter with fresh attempts (E_NOT_DEAD, E_NOT_FOUND). */
  retry: (id: string) => void;
  /** Releases a change held for a person into the queue. */
  approve: (id: string, actor?: string) => void;
  /** Rejects a held or queued change; it is finished and never applied. */
  reject: (id: string, reason?: string, actor?: string) => void;
  /** Records that an applied change was rolled back. */
  markRolledBack: (id: string, data?: object) => void;
  /** Returns expired leases and leases of exited local processes to the queue; how many (see makeReclaimInTx). */
  reclaim: (opts?: { wallClock?: boolean }) => number;
  /** Returns every lease of `owner` (a crashed worker thread) to the queue, each attempt counted; how many. */
  reclaimOwner: (owner: string) => number;
  /** The changes `owner` holds leases on now. */
  leasedBy: (owner: string) => string[];
  /** What the newest open change on `path`'s file (in line, or held) leaves there, or null when none is open. */
  tipOf: (path: string) => Tip | null;
  /** The newest open change other than `self` that leaves `sha` at `path` (a base's predecessor), or null. */
  producerOf: (path: string, sha: string, self?: string) => string | null;
  /** The held change a queued change waits behind in line (it is stacked on it, or behind one that is), or null. */
  waitingFor: (id: string) => string | null;
  /** Flags every open change touching `path` for rebase (an edit outside Hyperion); how many. */
  markNeedsRebase: (path: string) => number;
  /** One change, or null. */
  get: (id: string) => QueueChange | null;
  /** The paths a change touches, sorted. */
  paths: (id: string) => string[];
  /** Changes updated since `sinceMs` (epoch ms), newest first, optionally of one status. */
  list: (opts?: { status?: ChangeStatus; sinceMs?: number; limit?: number }) => QueueChange[];
  /** A change's events, oldest first. */
  logs: (changeId: string) => QueueLogEntry[];
  /** Appends an event to change_queue_logs (apply steps, validation output...). */
  log: (changeId: string | null, event: string, data?: object, level?: string, worker?: string) => void;
  /** One change's dead letter, or null. */
  deadLetter: (id: string) => DeadLetter | null;
  /** The newest dead letters. */
  deadLetters: (limit?: number) => DeadLetter[];
  /** True when a leased payload carries the repository's signature. */
  verify: (l: { id: string; payload: string; signature: string }) => boolean;
  /** Moves finished changes older than the TTL to `.hyperion/archive/`, in batches. */
  archive: (opts?: ArchiveOptions) => ArchiveResult;
  /** Depth by status, throughput, latencies and contention over a window. */
  metrics: (opts?: { windowMs?: number }) => MetricsSnapshot;
  /** The effective queue settings. */
  config: QueueConfig;
};

/** Builds the queue on one connection; statements are prepared once, here. */
export const createQueue = (db: Database, opts: QueueOptions): Queue => {
  const ctx = createContext(db, opts);
  const reclaimInTx = makeReclaimInTx(ctx);
  const { leaseInTx, ...lease } = makeLease(ctx);
  const { completeInTx, ...outcome } = makeOutcome(ctx);
  return {
    enqueue: makeEnqueue(ctx),
    ...lease,
    ...outcome,
    // One commit per change for a worker that takes one at a time.
    completeNext: ctx.tx(
      (id: string, token: number, owner: string, data?: object, opts: LeaseOptions = {}) => {
        completeInTx(id, token, data);
        return leaseInTx(owner, 1, opts.leaseMs ?? ctx.config.lease_ms, opts.pollMs)[0] ?? null;
      },
    ),
    ...makeReview(ctx),
    reclaim: ctx.tx((opts: { wallClock?: boolean } = {}) => reclaimInTx(ctx.now(), opts)),
    reclaimOwner: ctx.tx((owner: string) => reclaimInTx(ctx.now(), { owner })),
    leasedBy: makeLeasedBy(ctx),
    ...makeInspect(ctx),
    archive: makeArchive(ctx),
    metrics: makeMetrics(ctx),
    config: ctx.config,
  };
};
