import { describe, expect, test } from "bun:test";
import { MetricsSnapshot } from "../../lib/queue/index.ts";
import { cr, manualClock, queueFixture } from "./_fixture.ts";

describe("metrics", () => {
  test("reports depth by status, throughput and latency percentiles over the window, per worker", async () => {
    const clock = manualClock();
    await using f = await queueFixture({ now: clock.now });
    f.queue.enqueue([cr(["old"])]);
    const old = f.queue.lease("w0")!;
    f.queue.complete(old.id, old.token);
    clock.advance(120_000);

    f.queue.enqueue([cr(["a"]), cr(["b"]), cr(["c"]), cr(["d"]), cr(["e"])]);
    f.queue.enqueue(cr(["f"]), { status: "awaiting_approval" });
    clock.advance(1_000);
    for (const [worker, applyMs] of [
      ["w1", 100],
      ["w1", 200],
      ["w2", 300],
    ] as const) {
      const l = f.queue.lease(worker, { pollMs: 50 })!;
      clock.advance(applyMs);
      f.queue.complete(l.id, l.token);
    }
    const bad = f.queue.lease("w2")!;
    f.queue.fail(bad.id, bad.token, { code: "E_CONFLICT", message: "x", retryable: true });
    f.queue.lease("w1");

    const m = MetricsSnapshot.parse(f.queue.metrics({ windowMs: 60_000 }));
    expect(m.depth).toEqual({
      queued: 1,
      leased: 1,
      applied: 4,
      dead: 0,
      awaiting_approval: 1,
      rejected: 0,
      rolled_back: 0,
    });
    expect(m.throughput).toMatchObject({ leased: 4, applied: 3, failed: 1, dead: 0 }); // leases that ended
    expect(m.throughput).toMatchObject({ conflicts: 1, success_rate: 0.75 });
    expect(m.throughput.applied_per_s).toBeCloseTo(3 / 60);
    expect(m.latency_ms.apply).toEqual({ count: 3, p50: 200, p95: 300, max: 300 });
    expect(m.latency_ms.dequeue.count).toBe(4);
    expect(m.latency_ms.dequeue.p50).toBeGreaterThanOrEqual(1_000);
    expect(m.ready).toBe(1); // the failed change, first on its path, waiting out its backoff
    expect(m.oldest_queued_ms).toBe(clock.now() - f.queue.get(bad.id)!.enqueued_at);
    expect(m.workers.map((w) => [w.worker, w.leased, w.applied, w.failed, w.poll_ms])).toEqual([
      ["w1", 2, 2, 0, 50],
      ["w2", 2, 1, 1, 50],
    ]);
    expect(m.contention.busy_retries).toBe(0);
  });

  test("an empty queue reports zeros and nulls, not errors", async () => {
    await using f = await queueFixture();
    const m = MetricsSnapshot.parse(f.queue.metrics({ windowMs: 1_000 }));
    expect(m.depth.queued).toBe(0);
    expect(m.oldest_queued_ms).toBeNull();
    expect(m.latency_ms.apply).toEqual({ count: 0, p50: null, p95: null, max: null });
    expect(m.throughput).toMatchObject({ conflicts: 0, success_rate: null });
  });
});
