import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openDatabase } from "../../lib/store/index.ts";
import { listingQueries } from "../../lib/store/listings-sql.ts";
import { tmpdir } from "../_helpers.ts";

// Every filter a listing offers must be served by an index: a plan that reads a whole table
// ("SCAN change_queue" with no USING) stays fast at 100 rows and crawls at 100,000.
const cases: { [K in keyof typeof listingQueries]: [string, Parameters<(typeof listingQueries)[K]>[0]][] } = {
  changes: [
    ["status", { status: "queued", limit: 100 }],
    ["status", { status: "awaiting_approval", limit: 100 }],
    ["status", { status: "applied", limit: 100 }],
    ["status", { status: "rolled_back", limit: 100 }],
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
    ["since", { since: 1, limit: 100 }],
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
  test("every filter is served by an index and no listing scans a whole table", async () => {
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
          expect({ where, fullScan: plan.some((d) => /^SCAN \w+$/.test(d)) }).toEqual({
            where,
            fullScan: false,
          });
          if (filter !== "none")
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
