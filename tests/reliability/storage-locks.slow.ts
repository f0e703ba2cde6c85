import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { approveChange } from "../../lib/governance/review.ts";
import { createQueue } from "../../lib/queue/index.ts";
import { initRepo, openDatabase, readTx, writeTx } from "../../lib/store/index.ts";
import { ROOT, thrown, tmpdir } from "../_helpers.ts";
import { cr, SECRET } from "../queue/_fixture.ts";

const CHILD = join(import.meta.dir, "_storage-child.ts");

const child = (args: string[]) =>
  Bun.spawn([process.execPath, CHILD, ...args], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
    env: process.env,
  });

/** Waits for the child's first line (it holds the lock once it says so). */
const firstLine = async (proc: ReturnType<typeof child>): Promise<string> => {
  const reader = proc.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return text.trim();
};

describe("one write path", () => {
  test("concurrent enqueues from four processes all succeed", async () => {
    await using dir = await tmpdir("hyperion-locks-");
    initRepo({ repo: dir.path });
    const procs = ["a", "b", "c", "d"].map((tag) => child(["enqueue", dir.path, "100", tag]));
    const outs = await Promise.all(
      procs.map(async (p) => ({ out: (await new Response(p.stdout).text()).trim(), code: await p.exited })),
    );
    expect(outs).toEqual(Array(4).fill({ out: "ok 100", code: 0 }));
    const db = openDatabase(join(dir.path, ".hyperion", "hyperion.db"));
    expect(db.query("SELECT count(*) AS n FROM change_queue").get()).toEqual({ n: 400 });
    db.close();
  }, 60_000);

  test("a lock held past SQLite's busy_timeout, but within busy_give_up_ms, is waited out", async () => {
    await using dir = await tmpdir("hyperion-locks-");
    const path = join(dir.path, "hyperion.db");
    openDatabase(path, { create: true }).close();
    const db = openDatabase(path, { busyTimeoutMs: 100 });
    const queue = createQueue(db, { secret: SECRET, config: { busy_give_up_ms: 20_000 } });
    const [held] = queue.enqueue(cr(["a.txt"]), { status: "awaiting_approval" });
    const holder = child(["hold", path, "1500"]);
    expect(await firstLine(holder)).toBe("locked");
    // A person's approval (a queue move and its record, one transaction) while another process writes.
    approveChange(db, queue, held!.id, "ann", "fine");
    // It got the lock only once the holder committed (1.5 s, far past SQLite's own 100 ms wait).
    expect(db.query("SELECT count(*) AS n FROM sqlite_master WHERE name = 'held'").get()).toEqual({ n: 1 });
    expect(queue.get(held!.id)?.status).toBe("queued");
    expect(await holder.exited).toBe(0);
    db.close();
  }, 30_000);

  test("past busy_give_up_ms a write is E_BUSY (retryable) and writes nothing", async () => {
    await using dir = await tmpdir("hyperion-locks-");
    const path = join(dir.path, "hyperion.db");
    openDatabase(path, { create: true }).close();
    const holder = child(["hold", path, "forever"]);
    try {
      expect(await firstLine(holder)).toBe("locked");
      const db = openDatabase(path, { busyTimeoutMs: 50 });
      const queue = createQueue(db, { secret: SECRET, config: { busy_give_up_ms: 300 } });
      const err = thrown(() => queue.enqueue(cr(["a.txt"])));
      expect(err.code).toBe("E_BUSY");
      expect(err.retryable).toBe(true);
      expect(err.hint).toContain("busy_give_up_ms");
      holder.kill();
      await holder.exited;
      expect(queue.list()).toEqual([]);
      db.close();
    } finally {
      holder.kill();
    }
  }, 30_000);

  test("a write inside a deferred transaction is refused, not left to fail under contention", async () => {
    await using dir = await tmpdir("hyperion-locks-");
    const db = openDatabase(join(dir.path, "hyperion.db"), { create: true });
    const queue = createQueue(db, { secret: SECRET });
    expect(thrown(() => db.transaction(() => queue.enqueue(cr(["a.txt"])))()).code).toBe("E_INTERNAL");
    expect(thrown(() => db.transaction(() => queue.approve("x"))()).code).toBe("E_INTERNAL");
    // A read transaction cannot write either (query_only), nor upgrade itself.
    expect(thrown(() => readTx(db, () => db.run("DELETE FROM change_queue"))).code).toBe("E_INTERNAL");
    // Through the helper, nested calls join the outer transaction.
    const ids = writeTx(db, () => [...queue.enqueue(cr(["b.txt"])), ...queue.enqueue(cr(["c.txt"]))]);
    expect(ids.map((e) => queue.get(e.id)?.status)).toEqual(["queued", "queued"]);
    db.close();
  });

  test("lib/ and cmd/ open no transaction but through the helper", () => {
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((n) => {
        const p = join(dir, n);
        return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
      });
    const offenders = [...files(join(ROOT, "lib")), ...files(join(ROOT, "cmd"))].filter((f) =>
      /\.transaction\(|\.immediate\(\)|["'`]BEGIN( IMMEDIATE| EXCLUSIVE)?["'`]/.test(readFileSync(f, "utf8")),
    );
    expect(offenders.map((f) => f.slice(ROOT.length + 1))).toEqual(["lib/store/write-tx.ts"]);
  });
});
