import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import fc from "fast-check";
import { openDatabase } from "../../lib/store/index.ts";
import { LOG_BOUNDS, logIdAtTime } from "../../lib/store/queue/log-time.ts";
import { tmpdir } from "../_helpers.ts";

// The event log has no time index; a time bound is found by bisecting ids. Over any log whose
// times grow with its ids (gaps in the ids included: archival removes rows), the bound must be
// exactly what a scan would say: every event at or after it is at or after the time.
describe("logIdAtTime", () => {
  test("reads the log's bounds off the ends of its b-tree, never by a scan", async () => {
    await using dir = await tmpdir();
    const db = openDatabase(join(dir.path, "h.db"), { create: true });
    const plan = db
      .query<{ detail: string }, []>(`EXPLAIN QUERY PLAN ${LOG_BOUNDS}`)
      .all()
      .map((r) => r.detail);
    db.close();
    expect(plan.filter((d) => d.includes("change_queue_logs"))).toEqual([
      "SEARCH change_queue_logs",
      "SEARCH change_queue_logs",
    ]);
  });

  test("matches a scan for any ids with gaps and any times that grow with them", async () => {
    await using dir = await tmpdir();
    const db = openDatabase(join(dir.path, "h.db"), { create: true });
    const put = db.prepare(
      "INSERT INTO change_queue_logs (id, change_id, ts, level, event, data) VALUES (?, NULL, ?, 'info', 'e', '{}')",
    );
    const idAt = logIdAtTime(db);
    try {
      fc.assert(
        fc.property(
          fc.array(fc.record({ gap: fc.integer({ min: 1, max: 5 }), step: fc.integer({ min: 0, max: 3 }) }), {
            maxLength: 60,
          }),
          fc.integer({ min: -2, max: 200 }),
          (steps, probe) => {
            db.run("DELETE FROM change_queue_logs");
            let id = 0;
            let ts = 0;
            const rows = steps.map(({ gap, step }) => {
              id += gap;
              ts += step;
              put.run(id, ts);
              return { id, ts };
            });
            const first = rows.find((r) => r.ts >= probe);
            const bound = idAt(probe);
            expect(rows.filter((r) => r.id >= bound)).toEqual(rows.filter((r) => r.ts >= probe));
            if (first) expect(bound).toBeLessThanOrEqual(first.id);
          },
        ),
        { numRuns: 300 },
      );
    } finally {
      db.close();
    }
  });
});
