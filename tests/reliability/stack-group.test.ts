// A worker leases a path's stack whole and applies it as one group: every change applied in
// order from one lease, and a head that fails sends its stack back without spending attempts.
import { Database } from "bun:sqlite";
import { expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { makeFileChange } from "../../lib/patch/index.ts";
import { submitChanges } from "../../lib/runtime/index.ts";
import { stackRepo } from "./_stack.ts";

// Real Worker threads on a shared machine: a cap against hangs, not a speed target.
setDefaultTimeout(60_000);

const events = (db: string, event: string) => {
  const d = new Database(db, { readonly: true });
  try {
    return d
      .query<{ change_id: string; data: string }, [string]>(
        "SELECT change_id, data FROM change_queue_logs WHERE event = ? ORDER BY id",
      )
      .all(event)
      .map((r): Record<string, unknown> => ({ ...JSON.parse(r.data), id: r.change_id }));
  } finally {
    d.close();
  }
};

/** Three changes stacked on a.txt and one on b.txt, submitted as `hyperion enqueue` does. */
const stacked = async (aOnDisk: string) => {
  const r = await stackRepo({ "a.txt": aOnDisk, "b.txt": "b\n" });
  const { rejected } = submitChanges(r.repo, r.queue, [
    { id: "cr-1", task_id: "t", changes: [makeFileChange("a.txt", "1\n", "2\n")] },
    { id: "cr-2", task_id: "t", changes: [makeFileChange("a.txt", "2\n", "3\n")] },
    { id: "cr-3", task_id: "t", changes: [makeFileChange("a.txt", "3\n", "4\n")] },
    { id: "cr-b", task_id: "t", changes: [makeFileChange("b.txt", "b\n", "B\n")] },
  ]);
  expect(rejected).toEqual([]);
  return r;
};

test("a stack is leased whole by one worker and applied in order, as one group", async () => {
  await using r = await stacked("1\n");
  const summary = await r.run();
  expect(summary.applied).toBe(4);
  expect(readFileSync(join(r.dir, "a.txt"), "utf8")).toBe("4\n");
  const applied = events(r.repo.loc.db, "applied");
  expect(applied.map((e) => e.id)).toEqual(["cr-1", "cr-2", "cr-3", "cr-b"]);
  // One lease round: the four were applied as one batch, each after one attempt.
  expect(applied.map((e) => [e.batch, e.attempt])).toEqual([
    [4, 1],
    [4, 1],
    [4, 1],
    [4, 1],
  ]);
});

test("a head that fails sends the stack behind it back untouched: no attempt spent, then E_DEPENDENCY once it is dead", async () => {
  // a.txt holds what no change was made against, and no open change leaves: cr-1 is hopeless.
  await using r = await stacked("something else\n");
  const summary = await r.run();
  expect(summary.applied).toBe(1); // cr-b
  expect(readFileSync(join(r.dir, "a.txt"), "utf8")).toBe("something else\n");
  const released = events(r.repo.loc.db, "released").map((e) => e.id);
  expect(released).toEqual(["cr-2", "cr-3"]);
  const dead = r.repo.db
    .query<{ change_id: string; reason_code: string; attempts: number }, []>(
      "SELECT change_id, reason_code, attempts FROM dead_letters ORDER BY change_id",
    )
    .all();
  expect(dead).toEqual([
    { change_id: "cr-1", reason_code: "E_BASE_CHANGED", attempts: 1 },
    { change_id: "cr-2", reason_code: "E_DEPENDENCY", attempts: 0 },
    { change_id: "cr-3", reason_code: "E_DEPENDENCY", attempts: 0 },
  ]);
});
