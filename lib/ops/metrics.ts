import { z } from "zod";
import { MetricsSnapshot } from "../queue/index.ts";
import { age, iso } from "./time.ts";

const Iso = z.iso.datetime();
const Worker = MetricsSnapshot.shape.workers.element;

/** `hyperion queue-metrics --format json`: the queue's snapshot with times as ISO-8601 and a per-minute rate. */
export const QueueMetricsRecord = MetricsSnapshot.extend({
  at: Iso,
  throughput: MetricsSnapshot.shape.throughput.extend({
    applied_per_min: z.number().describe("Changes applied per minute over the window."),
  }),
  workers: z.array(Worker.extend({ last_seen: Iso })).describe("Workers with events in the window."),
}).meta({ title: "QueueMetrics", description: "`hyperion queue-metrics --format json`." });
export type QueueMetricsRecord = z.infer<typeof QueueMetricsRecord>;

export const metricsRecord = (s: MetricsSnapshot): QueueMetricsRecord =>
  QueueMetricsRecord.parse({
    ...s,
    at: iso(s.at),
    throughput: {
      ...s.throughput,
      applied_per_min: Number((s.throughput.applied_per_s * 60).toPrecision(3)),
    },
    workers: s.workers.map((w) => ({ ...w, last_seen: iso(w.last_seen) })),
  });

const ms = (v: number | null): string => (v === null ? "-" : v < 10 ? v.toFixed(2) : v.toFixed(0));

/** The snapshot for a person. */
export const renderMetrics = (m: QueueMetricsRecord): string => {
  const depth = Object.entries(m.depth)
    .map(([s, n]) => `${s} ${n}`)
    .join("  ");
  const t = m.throughput;
  const lat = Object.entries(m.latency_ms).map(
    ([name, l]) =>
      `  ${name.padEnd(8)} ${ms(l.p50).padStart(9)} ${ms(l.p95).padStart(9)} ${ms(l.max).padStart(9)} ${String(l.count).padStart(7)}`,
  );
  const workers = m.workers.map(
    (w) =>
      `  ${w.worker}  leases ${w.leased}  applied ${w.applied}  failed ${w.failed}  poll ${w.poll_ms === null ? "-" : `${w.poll_ms} ms`}  last seen ${w.last_seen.slice(11, 19)}Z`,
  );
  return [
    `queue at ${m.at.slice(0, 19)}Z, window ${age(m.window_ms)}`,
    `depth        ${depth}`,
    `ready        ${m.ready}`,
    `oldest       ${m.oldest_queued_ms === null ? "no queued change" : `queued ${age(m.oldest_queued_ms)} ago`}`,
    `dead letters ${m.depth.dead}`,
    `throughput   applied ${t.applied} (${t.applied_per_min}/min)  leases ended ${t.leased}  failed ${t.failed}  dead ${t.dead}  expired ${t.lease_expired}  released ${t.released}`,
    `outcomes     success ${t.success_rate === null ? "-" : `${Math.round(t.success_rate * 1000) / 10}%`}  conflicts ${t.conflicts}`,
    `contention   ${m.contention.busy_retries} busy retries on ${m.contention.leases_with_busy} leases`,
    `validation   ${m.validation.batches} batches${m.validation.mean_size === null ? "" : ` of ${m.validation.mean_size}`}  runs per change ${m.validation.runs_per_change ?? "-"}  blamed ${m.validation.blamed}${m.validation.blame_ms_p50 === null ? "" : ` (p50 ${m.validation.blame_ms_p50} ms to blame)`}`,
    `latency ms         p50       p95       max       n`,
    ...lat,
    `workers      ${m.workers.length} active in the window`,
    ...workers,
  ].join("\n");
};
