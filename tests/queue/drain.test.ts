import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../_helpers.ts";
import type { DrainReport } from "./_drain.worker.ts";
import { cr, queueFixture } from "./_fixture.ts";

const CHANGES = 5_000;
const PROCESSES = 4;

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
const lcg = (seed: number) => () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};

describe("drain", () => {
  test("4 processes x 2 workers drain 5,000 changes: each applied once, same-path changes one at a time in queue order", async () => {
    await using f = await queueFixture();
    mkdirSync(join(f.dir, "locks"));
    mkdirSync(join(f.dir, "order"));
    const rnd = lcg(42);
    const file = () => `src/f${Math.floor(rnd() * 400)}.ts`;
    const crs = Array.from({ length: CHANGES }, (_, i) => {
      const paths = rnd() < 0.15 ? [file(), file()] : [file()];
      return cr([...new Set(paths)], { summary: i % 50 === 7 ? "flaky" : `change ${i}` });
    });
    for (let i = 0; i < CHANGES; i += 500) {
      f.queue.enqueue(crs.slice(i, i + 500), { priority: i % 1_000 === 0 ? 1 : 0 });
    }

    const children = Array.from({ length: PROCESSES }, (_, i) =>
      run([process.execPath, join(import.meta.dir, "_drain-process.ts"), f.path, f.dir, `p${i}`]),
    );
    const results = await Promise.all(children);
    for (const r of results) expect({ exit: r.exitCode, stderr: r.stderr }).toEqual({ exit: 0, stderr: "" });
    const reports = results.flatMap((r) => JSON.parse(r.stdout) as DrainReport[]);
    expect(reports).toHaveLength(PROCESSES * 2);

    // Exactly once: workers' counts, the table and the log agree.
    const sum = (k: keyof DrainReport) => reports.reduce((n, r) => n + (r[k] as number), 0);
    expect(sum("applied")).toBe(CHANGES);
    expect(sum("lost")).toBe(0);
    expect(sum("badSignature")).toBe(0);
    expect(f.db.query("SELECT status, count(*) AS n FROM change_queue GROUP BY status").all()).toEqual([
      { status: "applied", n: CHANGES },
    ]);
    expect(
      f.db
        .query(
          "SELECT count(*) AS n, count(DISTINCT change_id) AS d FROM change_queue_logs WHERE event = 'applied'",
        )
        .get(),
    ).toEqual({ n: CHANGES, d: CHANGES });
    // Busy was never a change failure: the only failures are the injected ones.
    const failures = f.db
      .query(
        "SELECT json_extract(data, '$.code') AS code, count(*) AS n FROM change_queue_logs WHERE event IN ('failed', 'dead') GROUP BY 1",
      )
      .all();
    expect(failures).toEqual([{ code: "E_INJECTED", n: sum("failedOnPurpose") }]);
    expect(sum("failedOnPurpose")).toBe(CHANGES / 50);
    expect(
      f.db
        .query(
          "SELECT count(*) AS n FROM change_queue WHERE attempts <> (CASE WHEN summary = 'flaky' THEN 2 ELSE 1 END)",
        )
        .get(),
    ).toEqual({ n: 0 });

    // Exclusion and order per path.
    expect(reports.flatMap((r) => r.violations)).toEqual([]);
    const byPath = new Map<string, number[]>();
    for (const row of f.db.query("SELECT path, seq FROM change_paths ORDER BY seq").all() as {
      path: string;
      seq: number;
    }[]) {
      byPath.set(row.path, [...(byPath.get(row.path) ?? []), row.seq]);
    }
    for (const [path, seqs] of byPath) {
      const landed = readFileSync(join(f.dir, "order", Buffer.from(path).toString("hex")), "utf8")
        .trim()
        .split("\n")
        .map(Number);
      expect({ path, landed }).toEqual({ path, landed: seqs });
    }

    // Disjoint paths proceeded in parallel: applies of different workers overlapped in time.
    const spans = reports.flatMap((r) => r.intervals.map(([s, e]) => ({ s, e, w: r.worker })));
    spans.sort((a, b) => a.s - b.s);
    let overlaps = 0;
    for (let i = 1; i < spans.length; i++) {
      const prev = spans[i - 1]!;
      if (spans[i]!.s < prev.e && spans[i]!.w !== prev.w) overlaps++;
    }
    expect(overlaps).toBeGreaterThan(0);
    expect(new Set(reports.filter((r) => r.applied > 0).map((r) => r.worker)).size).toBeGreaterThan(1);
  }, 120_000);
});
