import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyChange, makeFileChange } from "../../lib/patch/index.ts";
import { createQueue } from "../../lib/queue/index.ts";
import { createApplier } from "../../lib/runtime/applier.ts";
import { initRepo, openRepo, readSecret } from "../../lib/store/index.ts";
import { tmpdir } from "../_helpers.ts";

/** A repository with files a.txt and b.txt and two queued changes, one to each. */
const setup = async () => {
  const dir = await tmpdir();
  writeFileSync(join(dir.path, "a.txt"), "a\n");
  writeFileSync(join(dir.path, "b.txt"), "b\n");
  initRepo({ repo: dir.path });
  const repo = openRepo({ repo: dir.path });
  const secret = readSecret(repo.loc);
  const queue = createQueue(repo.db, { secret, config: repo.config.queue });
  const [a, b] = queue.enqueue([
    { task_id: "t", changes: [makeFileChange("a.txt", "a\n", "A\n")] },
    { task_id: "t", changes: [makeFileChange("b.txt", "b\n", "B\n")] },
  ]);
  const applier = createApplier({
    repo: dir.path,
    db: repo.loc.db,
    worker: "w1",
    validate: false,
    commit: false,
  });
  return {
    dir,
    repo,
    secret,
    queue,
    ids: [a!.id, b!.id],
    applier,
    read: (p: string) => readFileSync(join(dir.path, p), "utf8"),
    async [Symbol.asyncDispose]() {
      applier.close();
      repo[Symbol.dispose]();
      await dir[Symbol.asyncDispose]();
    },
  };
};

describe("the applier's batches", () => {
  test("a group is applied and completed, its apply result in the completion's event", async () => {
    await using f = await setup();
    const out = await f.applier.process(32);
    expect(out.map((o) => [o.id, o.status])).toEqual(f.ids.map((id) => [id, "applied"]));
    expect([f.read("a.txt"), f.read("b.txt")]).toEqual(["A\n", "B\n"]);
    for (const id of f.ids) {
      expect(f.queue.get(id)?.status).toBe("applied");
      const applied = f.queue.logs(id).find((l) => l.event === "applied")!;
      expect(applied.data.result).toMatchObject({ files: [{ op: "modify", added: 1, removed: 1 }] });
      expect(applied.data.batch).toBe(2);
    }
  });

  test("a change applied by a run that stopped before completing it is completed, not written again", async () => {
    await using f = await setup();
    // The earlier run: leased and applied the first change, then died before its completion.
    const [first] = f.queue.leaseBatch("gone:1:w", 1);
    applyChange({
      repo: f.dir.path,
      db: f.repo.db,
      secret: f.secret,
      change: { id: first!.id, payload: first!.payload, signature: first!.signature },
    });
    f.queue.release(first!.id, first!.token);
    const out = await f.applier.process(32);
    expect(out.map((o) => [o.id, o.status])).toEqual(f.ids.map((id) => [id, "applied"]));
    expect([f.read("a.txt"), f.read("b.txt")]).toEqual(["A\n", "B\n"]);
    const journal = f.repo.db
      .query<{ change_id: string; n: number }, []>(
        "SELECT change_id, count(*) AS n FROM apply_journal WHERE kind = 'apply' GROUP BY change_id ORDER BY change_id",
      )
      .all();
    expect(journal).toEqual([...f.ids].sort().map((id) => ({ change_id: id, n: 1 })));
    for (const id of f.ids) expect(f.queue.get(id)?.status).toBe("applied");
  });
});
