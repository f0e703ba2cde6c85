import { describe, expect, test } from "bun:test";
import { rejectChange } from "../../lib/governance/index.ts";
import { makeFileChange } from "../../lib/patch/index.ts";
import { submitChanges } from "../../lib/runtime/index.ts";
import { repoWith } from "./_repo.ts";

/** A planned task owning `paths`, as the pipeline records it. */
const plannedTask = (db: import("bun:sqlite").Database, id: string, paths: string[], status = "enqueued") => {
  db.run(
    "INSERT OR IGNORE INTO task_requests (id, title, status, payload, created_at, updated_at) VALUES ('r-1', 'x', 'enqueued', '{}', 0, 0)",
  );
  db.run(
    "INSERT INTO tasks (id, request_id, title, status, owned_paths, payload, created_at, updated_at) VALUES (?, 'r-1', 'x', ?, ?, '{}', 0, 0)",
    [id, status, JSON.stringify(paths)],
  );
};

describe("changes for finished or cancelled tasks are refused", () => {
  test("a task whose change was applied takes no more; nor one whose change a person rejected", async () => {
    await using r = await repoWith({ "a.txt": "one\n", "b.txt": "one\n" });
    plannedTask(r.repo.db, "t-done", ["a.txt"]);
    plannedTask(r.repo.db, "t-cancelled", ["b.txt"]);
    const first = submitChanges(r.repo, r.queue, [
      { id: "cr-1", task_id: "t-done", changes: [makeFileChange("a.txt", "one\n", "two\n")] },
      { id: "cr-2", task_id: "t-cancelled", changes: [makeFileChange("b.txt", "one\n", "two\n")] },
    ]);
    expect(first.rejected).toEqual([]);
    const leased = r.queue.lease("w")!;
    expect(leased.id).toBe("cr-1");
    r.apply(leased);
    r.queue.complete(leased.id, leased.token);
    rejectChange(r.repo.db, r.queue, "cr-2", "alice", "not wanted");

    const again = submitChanges(r.repo, r.queue, [
      { task_id: "t-done", changes: [makeFileChange("a.txt", "two\n", "three\n")] },
      { task_id: "t-cancelled", changes: [makeFileChange("b.txt", "one\n", "evil\n")] },
    ]);
    expect(again.enqueued).toEqual([]);
    expect(again.rejected.map((x) => x.code)).toEqual(["E_TASK_CLOSED", "E_TASK_CLOSED"]);
  });

  test("a task that proposed nothing takes no change later", async () => {
    await using r = await repoWith({ "a.txt": "one\n" });
    plannedTask(r.repo.db, "t-none", ["a.txt"], "no_changes");
    const out = submitChanges(r.repo, r.queue, [
      { task_id: "t-none", changes: [makeFileChange("a.txt", "one\n", "two\n")] },
    ]);
    expect(out.rejected.map((x) => x.code)).toEqual(["E_TASK_CLOSED"]);
  });
});

describe("one task cannot crowd out the rest", () => {
  test("past limits.max_open_changes_per_task a task's changes are refused; other tasks still enter", async () => {
    await using r = await repoWith({});
    r.repo.config.limits.max_open_changes_per_task = 3;
    const create = (task: string, i: number) => ({
      task_id: task,
      changes: [makeFileChange(`${task}/f${i}.txt`, null, `${i}\n`)],
    });
    const greedy = Array.from({ length: 5 }, (_, i) => create("greedy", i));
    const out = submitChanges(r.repo, r.queue, greedy, { partial: true });
    expect(out.enqueued).toHaveLength(3);
    expect(out.rejected.map((x) => x.code)).toEqual(["E_TASK_CAP", "E_TASK_CAP"]);
    // Later submissions too, while three are open.
    expect(submitChanges(r.repo, r.queue, [create("greedy", 9)]).rejected[0]?.code).toBe("E_TASK_CAP");
    expect(submitChanges(r.repo, r.queue, [create("other", 0)]).enqueued).toHaveLength(1);
  });
});
