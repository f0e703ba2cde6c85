import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../_helpers.ts";
import { edited, editsPerFile, fileName, original, stackedChanges, writeTree } from "../runtime/_changes.ts";
import { faultRepo, until } from "./_faults-repo.ts";

// Several real processes on a shared machine: a cap against hangs, not a speed target.
setDefaultTimeout(120_000);

const FILES = 12;
const LINES = 40;
const CHANGES = 240;

describe("soak: worker processes and a producer", () => {
  test("three workers (one SIGKILLed and replaced) and a producer: nothing lost, nothing applied twice, tree == applied changes", async () => {
    await using f = await faultRepo();
    writeTree(f.root, FILES, LINES);
    // Stacked: the k-th change to a file is made against what the (k-1)-th leaves, so the tree
    // ends right only if every change applied once, in queue order.
    const crs = stackedChanges(FILES, LINES, CHANGES);
    const input = join(f.marks, "changes.json");
    writeFileSync(input, JSON.stringify(crs));

    const worker = () =>
      Bun.spawn(
        [
          process.execPath,
          join(ROOT, "cmd/hyperion.ts"),
          "worker",
          "--repo",
          f.root,
          "--workers",
          "1",
          "--no-watch",
          "--format",
          "json",
        ],
        { stdout: "ignore", stderr: "pipe", env: { ...process.env, HYPERION_LOG: undefined } },
      );
    const workers = [worker(), worker(), worker()];
    const producer = Bun.spawn(
      [process.execPath, join(import.meta.dir, "_producer.ts"), f.root, input, "8"],
      { stdout: "pipe", stderr: "pipe", env: process.env },
    );
    const count = (status: string) =>
      f.repo.db
        .query<{ n: number }, [string]>("SELECT count(*) AS n FROM change_queue WHERE status = ?")
        .get(status)!.n;

    try {
      // A third of the way in, one worker dies without warning; a replacement starts.
      await until(() => count("applied") >= CHANGES / 3, "a third of the changes applied", 90_000);
      workers[0]!.kill("SIGKILL");
      await workers[0]!.exited;
      workers.push(worker());

      const [out, err] = [
        await new Response(producer.stdout).text(),
        await new Response(producer.stderr).text(),
      ];
      expect(err).toBe("");
      expect(await producer.exited).toBe(0);
      expect(JSON.parse(out)).toEqual({ stored: CHANGES });
      await until(() => count("applied") + count("dead") === CHANGES, "every change finished", 90_000);
    } finally {
      for (const w of workers.slice(1)) w.kill("SIGTERM");
      for (const w of workers) await w.exited;
    }

    const db = f.repo.db;
    // Nothing lost: every stored change is there, applied; no dead letters, no lease left.
    expect(db.query("SELECT count(*) AS n FROM change_queue").get()).toEqual({ n: CHANGES });
    expect(db.query("SELECT status, count(*) AS n FROM change_queue GROUP BY status").all()).toEqual([
      { status: "applied", n: CHANGES },
    ]);
    expect(db.query("SELECT count(*) AS n FROM dead_letters").get()).toEqual({ n: 0 });
    // Nothing applied twice: one applied journal entry per change, none pending.
    expect(
      db
        .query(
          "SELECT count(*) AS n FROM (SELECT change_id FROM apply_journal WHERE kind = 'apply' AND state = 'applied' GROUP BY change_id HAVING count(*) = 1)",
        )
        .get(),
    ).toEqual({ n: CHANGES });
    expect(db.query("SELECT count(*) AS n FROM apply_journal WHERE state = 'pending'").get()).toEqual({
      n: 0,
    });
    expect(db.query("SELECT count(*) AS n FROM apply_journal WHERE kind = 'rollback'").get()).toEqual({
      n: 0,
    });
    // The tree holds exactly the applied changes.
    const edits = editsPerFile(FILES, CHANGES);
    for (let i = 0; i < FILES; i++) {
      expect(f.read(fileName(i))).toBe(edits[i] === 0 ? original(i, LINES) : edited(i, LINES, edits[i]!));
    }
  });
});
