import { z } from "zod";
import { CHANGE_STATUS_VALUES } from "../store/ddl/statuses.ts";
import { readTx } from "../store/write-tx.ts";
import type { QueueContext } from "./_context.ts";

const Latency = z.object({
  count: z.number().int(),
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  max: z.number().nullable(),
});
export type Latency = z.infer<typeof Latency>;

/** The queue at a glance, for `hyperion queue-metrics` and the dashboard. */
export const MetricsSnapshot = z.object({
  at: z.number().int().describe("When it was taken (epoch ms)."),
  window_ms: z.number().int().describe("Throughput and latencies cover this much time before `at`."),
  depth: z.record(z.enum(CHANGE_STATUS_VALUES), z.number().int()).describe("Changes by status, now."),
  ready: z.number().int().describe("Queued changes first in line on all their paths."),
  oldest_queued_ms: z.number().nullable().describe("Age of the oldest queued change."),
  throughput: z.object({
    leased: z
      .number()
      .int()
      .describe("Leases that ended in the window (each ends in exactly one of the events below)."),
    applied: z.number().int(),
    failed: z.number().int().describe("Retryable failures sent back with backoff."),
    dead: z.number().int(),
    lease_expired: z.number().int(),
    released: z.number().int(),
    applied_per_s: z.number(),
    conflicts: z
      .number()
      .int()
      .describe(
        "Failures in the window because the tree moved under the change (E_BASE_CHANGED, E_CONFLICT, E_AMBIGUOUS).",
      ),
    success_rate: z
      .number()
      .nullable()
      .describe("Applied over leases that ended applied, failed or dead in the window; null when none did."),
  }),
  latency_ms: z.object({
    dequeue: Latency.describe("Enqueue to lease."),
    wait: Latency.describe("Due to lease: how long a ready change waited for a worker."),
    lock: Latency.describe("Waiting for the write lock when leasing."),
    apply: Latency.describe("Lease to applied."),
  }),
  validation: z
    .object({
      batches: z.number().int().describe("Batches validated together in the window (`run --batch`)."),
      mean_size: z.number().nullable(),
      runs_per_change: z
        .number()
        .nullable()
        .describe("Validation runs per change of those batches (1: one each)."),
      blamed: z.number().int().describe("Changes bisection found to break validation."),
      blame_ms_p50: z.number().nullable().describe("From a batch's start to a blamed change's failure."),
    })
    .describe("Batched validation (config validation.batch)."),
  contention: z.object({
    busy_retries: z.number().int().describe("SQLITE_BUSY retries recorded on leases in the window."),
    leases_with_busy: z.number().int(),
  }),
  workers: z.array(
    z.object({
      worker: z.string(),
      leased: z.number().int(),
      applied: z.number().int(),
      failed: z.number().int(),
      last_seen: z.number().int(),
      poll_ms: z.number().nullable(),
    }),
  ),
});
export type MetricsSnapshot = z.infer<typeof MetricsSnapshot>;

/** Nearest-rank percentile of sorted numbers. */
const pct = (sorted: number[], p: number): number | null =>
  sorted.length === 0
    ? null
    : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? null);

const latency = (xs: number[]): Latency => {
  const s = xs.sort((a, b) => a - b);
  return { count: s.length, p50: pct(s, 50), p95: pct(s, 95), max: s.at(-1) ?? null };
};

/** Failures that mean the tree moved under a change, counted as conflicts. */
const CONFLICT_CODES: ReadonlySet<string> = new Set(["E_BASE_CHANGED", "E_CONFLICT", "E_AMBIGUOUS"]);

export const makeMetrics = (ctx: QueueContext) => {
  const { sql } = ctx;
  return (opts: { windowMs?: number } = {}): MetricsSnapshot => {
    const windowMs = opts.windowMs ?? 60_000;
    const at = ctx.now();
    // One read transaction: depth and events describe the same moment.
    return readTx(ctx.db, () => {
      const depth = Object.fromEntries(CHANGE_STATUS_VALUES.map((s) => [s, 0])) as MetricsSnapshot["depth"];
      for (const r of sql.depth()) depth[r.status] = r.n;
      const oldest = sql.oldestQueued();
      const count = { applied: 0, failed: 0, dead: 0, lease_expired: 0, released: 0 };
      const lat = {
        dequeue: [] as number[],
        wait: [] as number[],
        lock: [] as number[],
        apply: [] as number[],
      };
      let conflicts = 0;
      let busy = 0;
      let leasesWithBusy = 0;
      const workers = new Map<string, MetricsSnapshot["workers"][number]>();
      const batches = new Map<string, { size: number; runs: number; blame_ms: number[] }>();
      for (const e of sql.eventsSince(at - windowMs)) {
        if (e.event === "validation_batch") {
          const b = JSON.parse(e.data) as {
            batch?: string;
            size?: number;
            runs?: number;
            blame_ms?: number[];
          };
          if (b.batch && !batches.has(b.batch))
            batches.set(b.batch, { size: b.size ?? 0, runs: b.runs ?? 0, blame_ms: b.blame_ms ?? [] });
          continue;
        }
        const d = JSON.parse(e.data) as Record<string, number | string | boolean | undefined>;
        if ((e.event === "failed" || e.event === "dead") && CONFLICT_CODES.has(String(d.code))) conflicts++;
        const ev = e.event as keyof typeof count;
        count[ev]++;
        const w = e.worker
          ? (workers.get(e.worker) ??
            workers
              .set(e.worker, {
                worker: e.worker,
                leased: 0,
                applied: 0,
                failed: 0,
                last_seen: 0,
                poll_ms: null,
              })
              .get(e.worker)!)
          : null;
        if (w) w.last_seen = Math.max(w.last_seen, e.ts);
        // Every one of these events ends a lease and carries that lease's telemetry.
        if (typeof d.dequeue_ms === "number") lat.dequeue.push(d.dequeue_ms);
        if (typeof d.wait_ms === "number") lat.wait.push(d.wait_ms);
        if (typeof d.lock_ms === "number") lat.lock.push(d.lock_ms);
        if (typeof d.busy_retries === "number" && d.busy_retries > 0) {
          busy += d.busy_retries;
          leasesWithBusy++;
        }
        if (w) {
          w.leased++;
          if (typeof d.poll_ms === "number") w.poll_ms = d.poll_ms;
        }
        if (ev === "applied") {
          if (typeof d.apply_ms === "number") lat.apply.push(d.apply_ms);
          if (w) w.applied++;
        } else if ((ev === "failed" || ev === "dead") && w) w.failed++;
      }
      const ended = count.applied + count.failed + count.dead;
      return {
        at,
        window_ms: windowMs,
        depth,
        ready: sql.readyCount(),
        oldest_queued_ms: oldest === null ? null : Math.max(0, at - oldest),
        throughput: {
          leased: count.applied + count.failed + count.dead + count.lease_expired + count.released,
          ...count,
          applied_per_s: windowMs > 0 ? (count.applied * 1000) / windowMs : 0,
          conflicts,
          success_rate: ended > 0 ? Math.round((count.applied / ended) * 1000) / 1000 : null,
        },
        latency_ms: {
          dequeue: latency(lat.dequeue),
          wait: latency(lat.wait),
          lock: latency(lat.lock),
          apply: latency(lat.apply),
        },
        validation: (() => {
          const all = [...batches.values()];
          const changes = all.reduce((n, b) => n + b.size, 0);
          const blame = latency(all.flatMap((b) => b.blame_ms));
          return {
            batches: all.length,
            mean_size: all.length ? Math.round((changes / all.length) * 10) / 10 : null,
            runs_per_change: changes
              ? Math.round((all.reduce((n, b) => n + b.runs, 0) / changes) * 100) / 100
              : null,
            blamed: blame.count,
            blame_ms_p50: blame.p50,
          };
        })(),
        contention: { busy_retries: busy, leases_with_busy: leasesWithBusy },
        workers: [...workers.values()].sort((a, b) => a.worker.localeCompare(b.worker)),
      };
    });
  };
};
