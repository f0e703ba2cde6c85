import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { createQueue, type Queue } from "../../lib/queue/index.ts";
import { openDatabase } from "../../lib/store/index.ts";
import { tmpdir } from "../_helpers.ts";
import { cr, queueFixture, SECRET } from "../queue/_fixture.ts";

const pragma = (db: Database, name: string): number =>
  Object.values(db.query(`PRAGMA ${name}`).get() as Record<string, number>)[0]!;

/** n applied changes with a few KiB each (payload, logs). */
const fill = (f: { queue: Queue }, n: number) => {
  const summary = "s".repeat(4_000);
  for (let at = 0; at < n; at += 500)
    f.queue.enqueue(Array.from({ length: 500 }, (_, i) => cr([`f${at + i}.txt`], { summary })));
  for (;;) {
    const batch = f.queue.leaseBatch("w", 200);
    if (batch.length === 0) break;
    f.queue.completeMany(batch.map((l) => ({ id: l.id, token: l.token })));
  }
};

describe("archive and space", () => {
  test("a deleted journal entry finds its pre-images and file modifications through an index", async () => {
    await using f = await queueFixture();
    // The lookups SQLite makes for ON DELETE CASCADE: without these indexes, archival was quadratic.
    for (const table of ["pre_images", "file_modifications"]) {
      const plan = f.db.query(`EXPLAIN QUERY PLAN SELECT 1 FROM ${table} WHERE journal_id = ?`).all(1) as {
        detail: string;
      }[];
      expect(plan.map((p) => p.detail).join(" ")).toMatch(/USING (COVERING )?INDEX \w+_journal/);
    }
  });

  test("archival gives the emptied pages back: the file shrinks, nothing stays on the freelist", async () => {
    await using f = await queueFixture();
    expect(pragma(f.db, "auto_vacuum")).toBe(2); // incremental, set when the file is made
    fill(f, 2_000);
    f.db.run("PRAGMA wal_checkpoint(TRUNCATE)");
    const before = statSync(f.path).size;
    const r = f.queue.archive({ olderThanMs: 0, batch: 500 });
    expect(r.moved).toBe(2_000);
    expect(r.batches).toBeGreaterThan(1);
    expect(r.reclaimed_bytes).toBeGreaterThan(0);
    expect(pragma(f.db, "freelist_count")).toBe(0);
    expect(statSync(f.path).size).toBeLessThan(before / 4);
  });

  test("a database made before incremental auto-vacuum is converted once, by VACUUM, when archival empties it", async () => {
    await using dir = await tmpdir("hyperion-space-");
    const path = join(dir.path, "hyperion.db");
    // As versions before migration 6 made it: WAL first, so the header fixed auto-vacuum off.
    const raw = new Database(path);
    raw.run("PRAGMA journal_mode = WAL");
    raw.close();
    const db = openDatabase(path);
    const f = { db, queue: createQueue(db, { secret: SECRET }) };
    expect(pragma(db, "auto_vacuum")).toBe(0);
    fill(f, 1_000);
    db.run("PRAGMA wal_checkpoint(TRUNCATE)");
    const before = statSync(path).size;
    const r = f.queue.archive({ olderThanMs: 0 });
    expect(r.moved).toBe(1_000);
    expect(pragma(db, "auto_vacuum")).toBe(2);
    expect(statSync(path).size).toBeLessThan(before / 4);
    expect(f.queue.list()).toEqual([]);
    db.close();
  });
});
