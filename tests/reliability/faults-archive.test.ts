import { Database } from "bun:sqlite";
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { makeFileChange } from "../../lib/patch/index.ts";
import { hyperionProcess } from "../_helpers.ts";
import { faultRepo } from "./_faults-repo.ts";

// A real archive process beside a writer: a cap against hangs, not a speed target.
setDefaultTimeout(60_000);

const N = 100;

describe("archive during a drain", () => {
  test("archive yields the write lock between batches: it is free at least as long as it is held", async () => {
    await using f = await faultRepo();
    // N finished changes to archive, and one change leased by a live drain.
    const crs = Array.from({ length: N + 1 }, (_, i) => ({
      task_id: "t",
      changes: [makeFileChange(`f${i}.txt`, null, `${i}\n`)],
    }));
    f.enqueue(crs);
    for (let left = N; left > 0; ) {
      const batch = f.queue.leaseBatch("done:1:w", Math.min(500, left));
      f.queue.completeMany(batch.map((l) => ({ id: l.id, token: l.token })));
      left -= batch.length;
    }
    expect(f.queue.lease("drain:1:w")).not.toBeNull();

    // The archive, in its own process, one change per transaction: as many lock holds as can be.
    const archive = hyperionProcess([
      "archive",
      "--repo",
      f.root,
      "--older-than",
      "0s",
      "--batch",
      "1",
      "--format",
      "json",
    ]);
    let running = true;
    const done = archive.finally(() => {
      running = false;
    });
    // How often the write lock is free while the archive moves rows: samples that try to take it
    // without waiting (busy_timeout 0), from its first batch on (not while its process starts).
    const db = new Database(f.db);
    db.run("PRAGMA busy_timeout = 0");
    const finished = db.query<{ n: number }, []>(
      "SELECT count(*) AS n FROM change_queue WHERE status = 'applied'",
    );
    while (running && finished.get()!.n === N) await Bun.sleep(1);
    let free = 0;
    let taken = 0;
    while (running && finished.get()!.n > 0) {
      try {
        db.run("BEGIN IMMEDIATE");
        db.run("COMMIT");
        free++;
      } catch (e) {
        if (db.inTransaction) db.run("ROLLBACK");
        if (!String((e as { code?: string }).code).startsWith("SQLITE_BUSY")) throw e;
        taken++;
      }
      await Bun.sleep(2);
    }
    db.close();
    const r = await done;
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout).moved).toBe(N);
    // Back to back, the lock is free only in the gaps between batches (0.09 to 0.28 of the
    // samples, as measured here); yielding, at least as long as it is held (0.6 to 0.7 measured).
    expect(free + taken).toBeGreaterThan(20);
    expect(free / (free + taken)).toBeGreaterThanOrEqual(0.45);
  });
});
