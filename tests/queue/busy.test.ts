import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createQueue } from "../../lib/queue/index.ts";
import { openDatabase } from "../../lib/store/index.ts";
import { cr, queueFixture, SECRET, thrown } from "./_fixture.ts";

describe("busy", () => {
  test("SQLITE_BUSY while another connection writes is retried and counted, never a failure", async () => {
    await using f = await queueFixture();
    const [a] = f.queue.enqueue(cr(["a"]));
    const retries = new Int32Array(new SharedArrayBuffer(4));
    f.db.run("BEGIN IMMEDIATE");
    const worker = new Worker(join(import.meta.dir, "_busy.worker.ts"));
    try {
      const done = new Promise<{ lease: { id: string; token: number } | null }>((resolve, reject) => {
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => reject(e);
      });
      worker.postMessage({ path: f.path, retries });
      // Hold the write lock until the worker has hit it a few times.
      while (Atomics.load(retries, 0) < 3) {
        const w = Atomics.waitAsync(retries, 0, Atomics.load(retries, 0), 10_000);
        if ((await w.value) === "timed-out") throw new Error("the worker never hit the lock");
      }
      f.db.run("COMMIT");
      const out = await done;
      expect(out.lease?.id).toBe(a!.id);
      // The lease's retries are recorded with it, and written into the event that ends it.
      f.queue.complete(a!.id, out.lease!.token);
      const applied = f.queue.logs(a!.id).find((l) => l.event === "applied")!;
      expect(applied.data.busy_retries).toBeGreaterThanOrEqual(3);
      expect(f.queue.metrics().contention.busy_retries).toBeGreaterThanOrEqual(3);
      expect(f.queue.logs(a!.id).map((l) => l.event)).toEqual(["enqueued", "applied"]);
    } finally {
      if (f.db.inTransaction) f.db.run("ROLLBACK");
      worker.terminate();
    }
  });

  test("a lock held past busy_give_up_ms is E_BUSY (retryable) and leaves the change untouched", async () => {
    await using f = await queueFixture();
    const [a] = f.queue.enqueue(cr(["a"]));
    const db2 = openDatabase(f.path, { busyTimeoutMs: 0 });
    const impatient = createQueue(db2, { secret: SECRET, config: { busy_give_up_ms: 0 } });
    f.db.run("BEGIN IMMEDIATE");
    try {
      const e = thrown(() => impatient.lease("w")) as Error & { code?: string; retryable?: boolean };
      expect(e.code).toBe("E_BUSY");
      expect(e.retryable).toBe(true);
    } finally {
      f.db.run("ROLLBACK");
    }
    expect(f.queue.get(a!.id)).toMatchObject({ status: "queued", attempts: 0, lease_token: 0 });
    expect(impatient.lease("w")?.id).toBe(a!.id);
    db2.close();
  });
});
