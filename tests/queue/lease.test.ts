import { describe, expect, test } from "bun:test";
import { cr, manualClock, queueFixture } from "./_fixture.ts";

describe("lease", () => {
  test("takes the highest priority first, then the oldest", async () => {
    await using f = await queueFixture();
    const [low1] = f.queue.enqueue(cr(["a"]));
    const [high] = f.queue.enqueue(cr(["b"]), { priority: 5 });
    const [low2] = f.queue.enqueue(cr(["c"]));
    expect([f.queue.lease("w")?.id, f.queue.lease("w")?.id, f.queue.lease("w")?.id]).toEqual([
      high!.id,
      low1!.id,
      low2!.id,
    ]);
    expect(f.queue.lease("w")).toBeNull();
  });

  test("skips a change whose path is leased", async () => {
    await using f = await queueFixture();
    const [a1, a2, b] = f.queue.enqueue([cr(["a"]), cr(["a", "x"]), cr(["b"])]);
    expect(f.queue.lease("w1")?.id).toBe(a1!.id);
    expect(f.queue.lease("w2")?.id).toBe(b!.id);
    expect(f.queue.lease("w3")).toBeNull();
    const l = f.queue.get(a1!.id)!;
    f.queue.complete(l.id, l.lease_token);
    expect(f.queue.lease("w3")?.id).toBe(a2!.id);
  });

  test("never overtakes an earlier change on the same path, whatever its priority", async () => {
    await using f = await queueFixture();
    const [first] = f.queue.enqueue(cr(["a"]));
    const [urgent] = f.queue.enqueue(cr(["b", "a"]), { priority: 100 });
    const [other] = f.queue.enqueue(cr(["b2"]), { priority: 1 });
    expect(f.queue.lease("w")?.id).toBe(other!.id);
    const l = f.queue.lease("w")!;
    expect(l.id).toBe(first!.id);
    expect(f.queue.lease("w")).toBeNull();
    f.queue.complete(l.id, l.token);
    expect(f.queue.lease("w")?.id).toBe(urgent!.id);
  });

  test("a rename holds both its old and its new path", async () => {
    await using f = await queueFixture();
    const [ren, onNew, onOld] = f.queue.enqueue([cr(["old.ts->new.ts"]), cr(["new.ts"]), cr(["./old.ts"])]);
    const l = f.queue.lease("w")!;
    expect(l.id).toBe(ren!.id);
    expect(f.queue.lease("w")).toBeNull();
    f.queue.complete(l.id, l.token);
    expect(f.queue.leaseBatch("w", 5).map((x) => x.id)).toEqual([onNew!.id, onOld!.id]);
  });

  test("disjoint paths are leased at once by different workers", async () => {
    await using f = await queueFixture();
    f.queue.enqueue([cr(["a"]), cr(["b"])]);
    const w2 = f.other();
    const l1 = f.queue.lease("w1");
    const l2 = w2.queue.lease("w2");
    expect(l1 && l2 && l1.id !== l2.id).toBe(true);
    expect(f.queue.metrics().depth.leased).toBe(2);
  });

  test("a change is not leased before its available_at", async () => {
    const clock = manualClock();
    await using f = await queueFixture({
      now: clock.now,
      config: { backoff_base_ms: 1_000, backoff_max_ms: 1_000 },
    });
    const [a] = f.queue.enqueue(cr(["a"]));
    const l = f.queue.lease("w")!;
    expect(f.queue.fail(a!.id, l.token, { code: "E_BUSY", message: "busy", retryable: true })).toBe("queued");
    const due = f.queue.get(a!.id)!.available_at;
    expect(due - clock.now()).toBeGreaterThanOrEqual(500);
    expect(f.queue.lease("w")).toBeNull();
    clock.set(due);
    expect(f.queue.lease("w")?.id).toBe(a!.id);
  });

  test("the fencing token grows with each lease and attempts count leases", async () => {
    await using f = await queueFixture();
    f.queue.enqueue(cr(["a"]));
    const l1 = f.queue.lease("w")!;
    expect(f.queue.release(l1.id, l1.token)).toBe(true);
    const l2 = f.queue.lease("w")!;
    expect(l2.token).toBe(l1.token + 1);
    expect(l2.attempts).toBe(1);
    expect(f.queue.fail(l2.id, l2.token, { code: "E_X", message: "x", retryable: true })).toBe("queued");
  });

  test("leaseBatch takes up to n ready changes, never two on one path", async () => {
    await using f = await queueFixture();
    f.queue.enqueue([cr(["a"]), cr(["a"]), cr(["b", "c"]), cr(["c"]), cr(["d"]), cr(["e"])]);
    const batch = f.queue.leaseBatch("w", 10);
    expect(batch.map((l) => l.seq)).toEqual([1, 3, 5, 6]);
    expect(f.queue.leaseBatch("w", 10)).toEqual([]);
    expect(f.queue.completeMany(batch.map((l) => ({ id: l.id, token: l.token })))).toEqual({
      applied: batch.map((l) => l.id),
      lost: [],
    });
    expect(f.queue.leaseBatch("w", 1).map((l) => l.seq)).toEqual([2]);
  });

  test("the event that ends a lease records its worker, latency, lock wait and poll interval", async () => {
    await using f = await queueFixture();
    const [a] = f.queue.enqueue(cr(["a"]));
    const l = f.queue.lease("host:1:w1", { pollMs: 25 })!;
    f.queue.complete(l.id, l.token);
    const ev = f.queue.logs(a!.id).find((e) => e.event === "applied")!;
    expect(ev.worker).toBe("host:1:w1");
    expect(ev.data).toMatchObject({ token: 1, attempt: 1, busy_retries: 0, poll_ms: 25 });
    expect(ev.data.dequeue_ms).toBeNumber();
    expect(ev.data.lock_ms).toBeNumber();
  });

  test("the payload handed out verifies against the repository secret", async () => {
    await using f = await queueFixture();
    f.queue.enqueue(cr(["a"]));
    const l = f.queue.lease("w")!;
    expect(f.queue.verify(l)).toBe(true);
    expect(f.queue.verify({ ...l, payload: l.payload.replace('"a"', '"b"') })).toBe(false);
  });
});
