import { describe, expect, test } from "bun:test";
import { retryDelay } from "../../lib/queue/index.ts";
import { cr, manualClock, queueFixture, thrown } from "./_fixture.ts";

const conflict = { code: "E_CONFLICT", message: "hunk 1 does not apply", retryable: true };

describe("complete", () => {
  test("marks the change applied and records how long the apply took", async () => {
    const clock = manualClock();
    await using f = await queueFixture({ now: clock.now });
    f.queue.enqueue(cr(["a"]));
    const l = f.queue.lease("w")!;
    clock.advance(250);
    f.queue.complete(l.id, l.token, { files: 1 });
    const row = f.queue.get(l.id)!;
    expect(row).toMatchObject({ status: "applied", finished_at: clock.now(), leased_until: null });
    expect(f.queue.logs(l.id).at(-1)).toMatchObject({ event: "applied", data: { apply_ms: 250, files: 1 } });
  });

  test("is refused with E_LEASE_LOST on a stale token, and the outcome stands", async () => {
    await using f = await queueFixture();
    f.queue.enqueue(cr(["a"]));
    const old = f.queue.lease("w1")!;
    f.queue.release(old.id, old.token);
    const now = f.queue.lease("w2")!;
    const e = thrown(() => f.queue.complete(old.id, old.token));
    expect(e.code).toBe("E_LEASE_LOST");
    expect(thrown(() => f.queue.fail(old.id, old.token, conflict)).code).toBe("E_LEASE_LOST");
    expect(f.queue.heartbeat(old.id, old.token)).toBe(false);
    expect(f.queue.release(old.id, old.token)).toBe(false);
    expect(f.queue.get(now.id)).toMatchObject({
      status: "leased",
      lease_token: now.token,
      lease_owner: "w2",
    });
    f.queue.complete(now.id, now.token);
    expect(thrown(() => f.queue.complete(now.id, now.token)).code).toBe("E_LEASE_LOST");
  });

  test("completeMany applies the held ones and lists the lost ones", async () => {
    await using f = await queueFixture();
    f.queue.enqueue([cr(["a"]), cr(["b"])]);
    const [a, b] = f.queue.leaseBatch("w", 2);
    const r = f.queue.completeMany([
      { id: a!.id, token: a!.token },
      { id: b!.id, token: b!.token + 1 },
    ]);
    expect(r).toEqual({ applied: [a!.id], lost: [b!.id] });
    expect(f.queue.get(b!.id)!.status).toBe("leased");
  });
});

describe("completeNext", () => {
  test("completes a change and leases the next in one step; a stale token changes nothing", async () => {
    await using f = await queueFixture();
    const [a, b, c] = f.queue.enqueue([cr(["p"]), cr(["p"]), cr(["q"])]);
    const la = f.queue.lease("w")!;
    expect(la.id).toBe(a!.id);
    // Completing a frees p: b (older) goes before c.
    const lb = f.queue.completeNext(la.id, la.token, "w", { files: 1 })!;
    expect(lb.id).toBe(b!.id);
    expect(f.queue.get(a!.id)!.status).toBe("applied");
    expect(f.queue.logs(a!.id).at(-1)).toMatchObject({ event: "applied", data: { files: 1 } });
    expect(thrown(() => f.queue.completeNext(la.id, la.token, "w")).code).toBe("E_LEASE_LOST");
    expect(f.queue.get(b!.id)).toMatchObject({ status: "leased", lease_token: lb.token });
    const lc = f.queue.completeNext(lb.id, lb.token, "w")!;
    expect(lc.id).toBe(c!.id);
    expect(f.queue.completeNext(lc.id, lc.token, "w")).toBeNull();
    expect(f.queue.metrics().depth).toMatchObject({ applied: 3, leased: 0, queued: 0 });
  });

  test("completeMany logs one applied event per change with the data passed for it", async () => {
    await using f = await queueFixture();
    f.queue.enqueue([cr(["a"]), cr(["b"])]);
    const [x, y] = f.queue.leaseBatch("w", 2);
    f.queue.completeMany([
      { id: x!.id, token: x!.token, data: { n: 1 } },
      { id: y!.id, token: y!.token },
    ]);
    expect(f.queue.logs(x!.id).at(-1)).toMatchObject({
      event: "applied",
      worker: "w",
      data: { n: 1, attempt: 1 },
    });
    expect(f.queue.logs(y!.id).at(-1)).toMatchObject({ event: "applied", data: { token: y!.token } });
    // The lease wrote no event of its own: its telemetry is in the event that ended it.
    expect(f.queue.logs(y!.id).map((l) => l.event)).toEqual(["enqueued", "applied"]);
    expect(f.queue.logs(y!.id).at(-1)!.data.dequeue_ms).toBeNumber();
  });
});

describe("fail", () => {
  test("a retryable failure goes back with growing backoff until max_attempts, then a dead letter", async () => {
    const clock = manualClock();
    await using f = await queueFixture({
      now: clock.now,
      config: { max_attempts: 3, backoff_base_ms: 1_000, backoff_max_ms: 60_000 },
    });
    const [e] = f.queue.enqueue(cr(["a"]));
    const delays: number[] = [];
    for (let i = 1; i <= 2; i++) {
      const l = f.queue.lease("w")!;
      expect(l.attempts).toBe(i);
      expect(f.queue.fail(l.id, l.token, conflict)).toBe("queued");
      const row = f.queue.get(e!.id)!;
      expect(JSON.parse(row.last_error!)).toMatchObject({ code: "E_CONFLICT" });
      delays.push(row.available_at - clock.now());
      clock.set(row.available_at);
    }
    expect(delays[0]).toBeGreaterThanOrEqual(500);
    expect(delays[0]).toBeLessThanOrEqual(1_000);
    expect(delays[1]).toBeGreaterThanOrEqual(1_000);
    expect(delays[1]).toBeLessThanOrEqual(2_000);
    const last = f.queue.lease("w")!;
    expect(f.queue.fail(last.id, last.token, conflict)).toBe("dead");
    expect(f.queue.get(e!.id)!.status).toBe("dead");
    expect(f.queue.deadLetter(e!.id)).toMatchObject({ reason_code: "E_ATTEMPTS_EXHAUSTED", attempts: 3 });
    expect(f.queue.deadLetter(e!.id)!.message).toContain("E_CONFLICT");
  });

  test("a permanent failure is a dead letter at once with its own reason code", async () => {
    await using f = await queueFixture();
    f.queue.enqueue(cr(["a"]));
    const l = f.queue.lease("w")!;
    const out = f.queue.fail(l.id, l.token, {
      code: "E_PATH_OUTSIDE_REPO",
      message: "../x",
      retryable: false,
    });
    expect(out).toBe("dead");
    expect(f.queue.deadLetter(l.id)).toMatchObject({
      reason_code: "E_PATH_OUTSIDE_REPO",
      message: "../x",
      attempts: 1,
    });
    expect(f.queue.deadLetters().map((d) => d.change_id)).toEqual([l.id]);
  });

  test("a dead letter frees its path for the next change", async () => {
    await using f = await queueFixture();
    const [, next] = f.queue.enqueue([cr(["a"]), cr(["a"])]);
    const l = f.queue.lease("w")!;
    f.queue.fail(l.id, l.token, { code: "E_SIGNATURE", message: "bad", retryable: false });
    expect(f.queue.lease("w")?.id).toBe(next!.id);
  });

  test("retryDelay doubles per attempt, is capped, and jitters between half and all", () => {
    const cfg = { backoff_base_ms: 100, backoff_max_ms: 1_000 };
    expect([1, 2, 3, 4, 5].map((a) => retryDelay(a, cfg, () => 1))).toEqual([100, 200, 400, 800, 1_000]);
    expect(retryDelay(3, cfg, () => 0)).toBe(200);
  });
});

describe("retry", () => {
  test("requeues a dead letter with fresh attempts and removes the dead letter", async () => {
    await using f = await queueFixture();
    f.queue.enqueue(cr(["a"]), { maxAttempts: 1 });
    const l = f.queue.lease("w")!;
    f.queue.fail(l.id, l.token, conflict);
    f.queue.retry(l.id);
    expect(f.queue.get(l.id)).toMatchObject({ status: "queued", attempts: 0, finished_at: null });
    expect(f.queue.deadLetter(l.id)).toBeNull();
    const again = f.queue.lease("w")!;
    expect(again.token).toBe(l.token + 1);
    f.queue.complete(again.id, again.token);
    expect(f.queue.logs(l.id).map((x) => [x.event, x.data.token])).toEqual([
      ["enqueued", undefined],
      ["dead", l.token],
      ["retried", undefined],
      ["applied", again.token],
    ]);
  });

  test("a retried dead letter joins the back of its path's line, with a new seq", async () => {
    await using f = await queueFixture();
    const [a, b, c] = f.queue.enqueue([cr(["p"]), cr(["p"]), cr(["p"])]);
    const la = f.queue.lease("w")!;
    f.queue.fail(la.id, la.token, { code: "E_X", message: "x", retryable: false });
    const lb = f.queue.lease("w")!;
    expect(lb.id).toBe(b!.id);
    f.queue.retry(a!.id);
    expect(f.queue.get(a!.id)!.seq).toBeGreaterThan(c!.seq);
    expect(f.queue.paths(a!.id)).toEqual(["p"]);
    expect(f.queue.lease("w")).toBeNull();
    f.queue.complete(lb.id, lb.token);
    const lc = f.queue.lease("w")!;
    expect(lc.id).toBe(c!.id);
    f.queue.complete(lc.id, lc.token);
    expect(f.queue.lease("w")?.id).toBe(a!.id);
  });

  test("refuses a change that is not a dead letter, and an unknown id", async () => {
    await using f = await queueFixture();
    const [a] = f.queue.enqueue(cr(["a"]));
    expect(thrown(() => f.queue.retry(a!.id)).code).toBe("E_NOT_DEAD");
    expect(thrown(() => f.queue.retry("cr-nope")).code).toBe("E_NOT_FOUND");
  });
});

describe("heartbeat and release", () => {
  test("a heartbeat extends the lease past its first expiry", async () => {
    const clock = manualClock();
    await using f = await queueFixture({ now: clock.now });
    f.queue.enqueue(cr(["a"]));
    const l = f.queue.lease("w", { leaseMs: 1_000 })!;
    clock.advance(900);
    expect(f.queue.heartbeat(l.id, l.token, 1_000)).toBe(true);
    clock.advance(900);
    expect(f.queue.reclaim()).toBe(0);
    f.queue.complete(l.id, l.token);
  });

  test("release returns the change without counting an attempt", async () => {
    await using f = await queueFixture();
    f.queue.enqueue(cr(["a"]));
    const l = f.queue.lease("w")!;
    expect(f.queue.release(l.id, l.token)).toBe(true);
    expect(f.queue.get(l.id)).toMatchObject({ status: "queued", attempts: 0, lease_owner: null });
    expect(f.queue.lease("w")?.attempts).toBe(1);
  });

  test("markRolledBack records the rollback of an applied change only", async () => {
    await using f = await queueFixture();
    f.queue.enqueue(cr(["a"]));
    const l = f.queue.lease("w")!;
    expect(thrown(() => f.queue.markRolledBack(l.id)).code).toBe("E_BAD_STATUS");
    f.queue.complete(l.id, l.token);
    f.queue.markRolledBack(l.id, { by: "alice" });
    expect(f.queue.get(l.id)!.status).toBe("rolled_back");
  });
});
