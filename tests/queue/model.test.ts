import type { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import fc from "fast-check";
import { createQueue, type Leased } from "../../lib/queue/index.ts";
import { openDatabase } from "../../lib/store/index.ts";
import { tmpdir } from "../_helpers.ts";
import { cr, manualClock, SECRET } from "./_fixture.ts";

type Row = { seq: number; id: string; status: string; priority: number; available_at: number; ready: number };

/** The lease rule of DESIGN.md, computed from scratch over every row: the oracle. */
const eligible = (rows: Row[], paths: Map<number, string[]>, now: number, leased: Set<number>): Row[] => {
  const active = rows.filter((r) => leased.has(r.seq) || r.status === "queued");
  const onPath = (p: string) => active.filter((r) => paths.get(r.seq)!.includes(p));
  return rows
    .filter((r) => r.status === "queued" && !leased.has(r.seq) && r.available_at <= now)
    .filter((r) =>
      paths
        .get(r.seq)!
        .every((p) => onPath(p).every((o) => o.seq === r.seq || (o.seq > r.seq && !leased.has(o.seq)))),
    )
    .sort((a, b) => b.priority - a.priority || a.seq - b.seq);
};

const snapshot = (db: Database) => {
  const rows = db
    .query("SELECT seq, id, status, priority, available_at, ready FROM change_queue ORDER BY seq")
    .all() as Row[];
  const paths = new Map<number, string[]>();
  for (const r of db.query("SELECT seq, path FROM change_paths").all() as { seq: number; path: string }[]) {
    paths.set(r.seq, [...(paths.get(r.seq) ?? []), r.path]);
  }
  return { rows, paths };
};

const Op = fc.oneof(
  fc.record({
    op: fc.constant("enqueue" as const),
    paths: fc.uniqueArray(fc.constantFrom("p0", "p1", "p2", "p3"), { minLength: 1, maxLength: 2 }),
    priority: fc.integer({ min: 0, max: 2 }),
    held: fc.boolean(),
  }),
  fc.record({ op: fc.constant("lease" as const), n: fc.integer({ min: 1, max: 3 }) }),
  fc.record({
    op: fc.constantFrom("complete" as const, "failRetry" as const, "failDead" as const, "release" as const),
    pick: fc.nat(),
  }),
  fc.record({ op: fc.constantFrom("retry" as const, "approve" as const, "reject" as const), pick: fc.nat() }),
  fc.record({ op: fc.constant("tick" as const), ms: fc.integer({ min: 0, max: 3_000 }) }),
);

describe("lease rule (model check)", () => {
  test("every lease takes exactly what the rule picks, over random histories", async () => {
    await using dir = await tmpdir();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(Op, { minLength: 10, maxLength: 60 }), async (ops) => {
        const db = openDatabase(join(dir.path, `m${run++}.db`), { create: true });
        const clock = manualClock();
        const q = createQueue(db, {
          secret: SECRET,
          now: clock.now,
          config: { backoff_base_ms: 1_000, backoff_max_ms: 2_000, max_attempts: 3 },
        });
        const held: Leased[] = [];
        const ofStatus = (s: string) => snapshot(db).rows.filter((r) => r.status === s);
        try {
          for (const o of ops) {
            if (o.op === "enqueue") {
              q.enqueue(cr(o.paths), {
                priority: o.priority,
                status: o.held ? "awaiting_approval" : "queued",
              });
            } else if (o.op === "lease") {
              const { rows, paths } = snapshot(db);
              const expected: number[] = [];
              const leased = new Set(rows.filter((r) => r.status === "leased").map((r) => r.seq));
              for (let i = 0; i < o.n; i++) {
                const best = eligible(rows, paths, clock.now(), leased)[0];
                if (!best) break;
                expected.push(best.seq);
                leased.add(best.seq);
              }
              const got = o.n === 1 ? [q.lease("w")].filter((l) => l !== null) : q.leaseBatch("w", o.n);
              expect(got.map((l) => l.seq)).toEqual(expected);
              held.push(...got);
            } else if (o.op === "tick") {
              clock.advance(o.ms);
            } else if (o.op === "retry" || o.op === "approve" || o.op === "reject") {
              const from = { retry: "dead", approve: "awaiting_approval", reject: "queued" }[o.op];
              const c = ofStatus(from);
              const target = c[o.pick % Math.max(1, c.length)];
              if (target) q[o.op](target.id);
            } else if (held.length > 0) {
              const [l] = held.splice(o.pick % held.length, 1);
              if (o.op === "complete") q.complete(l!.id, l!.token);
              else if (o.op === "release") q.release(l!.id, l!.token);
              else q.fail(l!.id, l!.token, { code: "E_X", message: "x", retryable: o.op === "failRetry" });
            }
            // The maintained flag always equals the rule (due or not).
            const { rows, paths } = snapshot(db);
            const leased = new Set(rows.filter((r) => r.status === "leased").map((r) => r.seq));
            const ready = new Set(eligible(rows, paths, Number.POSITIVE_INFINITY, leased).map((r) => r.seq));
            for (const r of rows) expect([r.seq, r.ready === 1]).toEqual([r.seq, ready.has(r.seq)]);
          }
        } finally {
          db.close();
        }
      }),
      { numRuns: 300 },
    );
  }, 120_000);
});
