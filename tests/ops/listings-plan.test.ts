import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openDatabase } from "../../lib/store/index.ts";
import { listingQueries } from "../../lib/store/listings-sql.ts";
import { tmpdir } from "../_helpers.ts";

// A listing returns the newest `limit` rows: its plan must read them in order (an index, or the
// table's own key read backwards) and stop at the limit, never sort all it scanned first. A
// filter the hot path never moves must be served by an index ("SEARCH"); the others (a change's
// status while queued or finished, its agent, its update time) read change_queue newest first,
// since every index on them would be rewritten by each lease and completion.
const UNINDEXED = new Set([
  "changes --status queued",
  "changes --status applied",
  "changes --status rolled_back",
  "changes --agent",
  "changes --since",
]);

const cases: { [K in keyof typeof listingQueries]: [string, Parameters<(typeof listingQueries)[K]>[0]][] } = {
  changes: [
    ["status queued", { status: "queued", limit: 100 }],
    ["status leased", { status: "leased", limit: 100 }],
    ["status awaiting_approval", { status: "awaiting_approval", limit: 100 }],
    ["status applied", { status: "applied", limit: 100 }],
    ["status rolled_back", { status: "rolled_back", limit: 100 }],
    ["agent", { agent: "a1", limit: 100 }],
    ["request", { request: "r1", limit: 100 }],
    ["since", { since: 1, limit: 100 }],
  ],
  deadLetters: [
    ["since", { since: 1, limit: 100 }],
    ["agent", { agent: "a1", limit: 100 }],
    ["request", { request: "r1", limit: 100 }],
  ],
  requests: [
    ["status", { status: "enqueued", limit: 100 }],
    ["agent", { agent: "stub", limit: 100 }],
    ["request", { request: "r1", limit: 100 }],
    ["since", { since: 1, limit: 100 }],
  ],
  logs: [
    ["change", { change: "c1", limit: 100 }],
    ["levels", { levels: ["warn", "error"], limit: 100 }],
    ["since", { sinceId: 1, limit: 100 }],
  ],
  logsAfter: [
    ["change", { change: "c1", afterId: 1, limit: 100 }],
    ["levels", { levels: ["warn", "error"], afterId: 1, limit: 100 }],
  ],
  fileMods: [
    ["change", { change: "c1", limit: 100 }],
    ["path", { path: "src/a.ts", limit: 100 }],
    ["pathPrefix", { pathPrefix: "src/", limit: 100 }],
    ["agent", { agent: "a1", limit: 100 }],
    ["request", { request: "r1", limit: 100 }],
    ["since", { since: 1, limit: 100 }],
  ],
};

describe("listing queries", () => {
  test("no listing sorts a whole table, and every filter the hot path never moves is served by an index", async () => {
    await using dir = await tmpdir();
    const db = openDatabase(join(dir.path, "h.db"), { create: true });
    try {
      for (const [name, list] of Object.entries(cases)) {
        const build = listingQueries[name as keyof typeof listingQueries] as (q: unknown) => {
          sql: string;
          bind: Record<string, string | number>;
        };
        for (const [filter, q] of [["none", { limit: 100 }], ...list] as [string, unknown][]) {
          const { sql, bind } = build(q);
          const plan = db
            .query(`EXPLAIN QUERY PLAN ${sql}`)
            .all(bind)
            .map((r) => r as { detail: string })
            .map((r) => r.detail);
          const where = `${name} --${filter}: ${plan.join(" | ")}`;
          // Sorting what an index search found is bounded; sorting what a scan found is not.
          const sortsScan =
            plan.some((d) => d.includes("TEMP B-TREE FOR ORDER BY")) &&
            plan.some((d) => d.startsWith("SCAN"));
          expect({ where, sortsScan }).toEqual({ where, sortsScan: false });
          if (filter !== "none" && !UNINDEXED.has(`${name} --${filter}`))
            expect({ where, search: plan.some((d) => d.startsWith("SEARCH")) }).toEqual({
              where,
              search: true,
            });
        }
      }
    } finally {
      db.close();
    }
  });
});
