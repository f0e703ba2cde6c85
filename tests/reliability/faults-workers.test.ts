import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeFileChange } from "../../lib/patch/index.ts";
import { createApplier } from "../../lib/runtime/applier.ts";
import type { Outcome } from "../../lib/runtime/outcome.ts";
import { type PoolOptions, startPool, startThreads } from "../../lib/runtime/pool.ts";
import { faultRepo, until } from "./_faults-repo.ts";

// Real worker threads; a cap against hangs, not a speed target.
setDefaultTimeout(60_000);

const FILES = ["a", "b", "c", "d", "e"].map((n) => `${n}.txt`);
const files = Object.fromEntries(FILES.map((p) => [p, `${p}\n`]));
const changes = () =>
  FILES.map((p) => ({ task_id: "t", changes: [makeFileChange(p, `${p}\n`, `${p} new\n`)] }));

const attempts = (f: Awaited<ReturnType<typeof faultRepo>>, id: string) => f.queue.get(id)!.attempts;
const pendingJournal = (f: Awaited<ReturnType<typeof faultRepo>>) =>
  f.repo.db.query("SELECT change_id FROM apply_journal WHERE state = 'pending'").all();

/** An applier that throws right after `file`'s temp file is written (mid-batch, before any rename). */
const faultyApplier = (f: { root: string; db: string }, file: string) => {
  let last = "";
  return createApplier({
    repo: f.root,
    db: f.db,
    worker: "w",
    validate: false,
    commit: false,
    onStep: (step) => {
      if (step === "temps" && last === `temp:${file}`) throw new Error("injected fault");
      last = step;
    },
  });
};

/** A pool of one thread on `f`, collecting its outcomes; `more` adds to its options. */
const onePool = (f: { root: string; db: string }, more: Partial<PoolOptions> = {}) => {
  const outcomes: Outcome[] = [];
  const pool = startPool({
    repo: f.root,
    db: f.db,
    workers: 1,
    validate: false,
    commit: false,
    onOutcome: (o) => outcomes.push(o),
    ...more,
  });
  return { pool, outcomes };
};

describe("worker faults", () => {
  test("a change whose apply throws fails alone; its batch-mates apply, charged no extra attempt", async () => {
    await using f = await faultRepo({ files });
    const ids = f.enqueue(changes()).map((c) => c.id);
    const poison = ids[2]!;
    // The fault: something throws right after c.txt's temp file is written, mid-batch.
    const w = faultyApplier(f, "c.txt");
    const out = await w.process(32);
    w.close();
    expect(out.map((o) => [o.id, o.status])).toEqual(
      ids.map((id) => [id, id === poison ? "queued" : "applied"]),
    );
    expect(out[2]?.code).toBe("E_APPLY_FAILED");
    expect(out[2]?.message).toContain("injected fault");
    for (const id of ids) expect(attempts(f, id)).toBe(1);
    expect(FILES.map((p) => f.read(p))).toEqual(FILES.map((p) => (p === "c.txt" ? "c.txt\n" : `${p} new\n`)));
    expect(pendingJournal(f)).toEqual([]);
  });

  test("when a batch throws, a change stacked on one that then fails alone is put back untried, its attempt given back", async () => {
    await using f = await faultRepo({ files });
    // b.txt: 1 -> 2 -> 3, the second stacked on the first; a.txt on its own.
    const [head, behind, other] = f
      .enqueue([
        { task_id: "t", changes: [makeFileChange("b.txt", "b.txt\n", "b 2\n")] },
        { task_id: "t", changes: [makeFileChange("b.txt", "b 2\n", "b 3\n")] },
        { task_id: "t", changes: [makeFileChange("a.txt", "a.txt\n", "a new\n")] },
      ])
      .map((c) => c.id);
    // The fault: whatever writes b.txt's temp throws, in the batch and again alone.
    const w = faultyApplier(f, "b.txt");
    const out = await w.process(32);
    w.close();
    const by = Object.fromEntries(out.map((o) => [o.id, [o.status, o.code]]));
    expect(by).toEqual({
      [head!]: ["queued", "E_APPLY_FAILED"],
      [behind!]: ["queued", "E_BEHIND_FAILED"],
      [other!]: ["applied", null],
    });
    expect([attempts(f, head!), attempts(f, behind!), attempts(f, other!)]).toEqual([1, 0, 1]);
    expect([f.read("a.txt"), f.read("b.txt")]).toEqual(["a new\n", "b.txt\n"]);
    expect(pendingJournal(f)).toEqual([]);
  });

  for (const mode of ["exit", "throw"] as const) {
    test(`a worker thread that dies mid-lease (${mode}): its leases return at once, the pool respawns it, all apply`, async () => {
      // Leases of an hour: only the pool's repair, not expiry, can hand them back within the test.
      await using f = await faultRepo({ files, config: { queue: { lease_ms: 3_600_000 } } });
      writeFileSync(join(f.marks, "mode"), mode);
      const ids = f.enqueue(changes()).map((c) => c.id);
      const { pool, outcomes } = onePool(f, { entry: join(import.meta.dir, "_dying.worker.ts") });
      await until(
        () => outcomes.filter((o) => o.status === "applied").length === ids.length,
        "every change applied",
      );
      pool.stop();
      await pool.done;
      const [first, second] = JSON.parse(readFileSync(join(f.marks, "leased"), "utf8")) as string[];
      for (const id of ids) expect(f.status(id)).toBe("applied");
      expect(FILES.map((p) => f.read(p))).toEqual(FILES.map((p) => `${p} new\n`));
      // The dead thread's two leases were returned (each attempt counted) and applied once each.
      expect([attempts(f, first!), attempts(f, second!)]).toEqual([2, 2]);
      const returned = f.queue.logs(first!).find((l) => l.event === "lease_expired");
      expect(returned?.data.reason).toBe("owner_crashed");
      for (const id of ids) expect(f.journal(id)).toEqual([{ kind: "apply", state: "applied" }]);
      expect(pendingJournal(f)).toEqual([]);
    });
  }

  test("threads started ahead of the pool serve its slots; one it does not need is ended", async () => {
    await using f = await faultRepo({ files });
    const ids = f.enqueue(changes()).map((c) => c.id);
    const threads = startThreads(2);
    let spareClosed = false;
    threads[1]!.addEventListener("close", () => {
      spareClosed = true;
    });
    const { pool, outcomes } = onePool(f, { threads, onEmpty: () => pool.stop() });
    await pool.done;
    expect(outcomes.map((o) => [o.id, o.status])).toEqual(ids.map((id) => [id, "applied"]));
    expect(new Set(outcomes.map((o) => o.worker.split(":").at(-1)))).toEqual(new Set(["w1"]));
    await until(() => spareClosed, "the spare thread ended");
  });

  test("a pool stopped before its thread is up leases nothing: the thread opens nothing and stops", async () => {
    await using f = await faultRepo({ files });
    const ids = f.enqueue(changes()).map((c) => c.id);
    const { pool, outcomes } = onePool(f);
    pool.stop();
    await pool.done;
    expect(outcomes).toEqual([]);
    for (const id of ids) expect(f.status(id)).toBe("queued");
    expect(pool.writeLock().holds).toBe(0);
  });
});
