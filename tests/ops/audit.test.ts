import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  approvePlan,
  PLAN_FILE,
  planStatus,
  planVerdict,
  rollbackOne,
  summarize,
  summaryMarkdown,
} from "../../lib/governance/index.ts";
import { changeColumns, fileModColumns, listings, renderTable } from "../../lib/ops/index.ts";
import { makeFileChange } from "../../lib/patch/index.ts";
import { createApplier, submitChanges } from "../../lib/runtime/index.ts";
import type { ChangeRequest } from "../../lib/schema/index.ts";
import { requestsSql } from "../../lib/store/index.ts";
import { ROOT, thrown } from "../_helpers.ts";
import { faultRepo } from "../reliability/_faults-repo.ts";

/** A repository with files, its queue and an in-process applier (real SQLite, real files). */
const setup = async (files: Record<string, string>) => {
  const f = await faultRepo({ files });
  const { repo, queue } = f;
  const applier = createApplier({ repo: f.root, db: f.db, worker: "w1", validate: false, commit: false });
  const req = requestsSql(repo.db);
  return {
    root: f.root,
    repo,
    queue,
    list: listings(repo.db),
    /** Applies every queued change now (a path's stacked changes, one round each). */
    drain: async () => {
      while ((await applier.process(32)).length > 0);
    },
    submit: (crs: ChangeRequest[]) => submitChanges(repo, queue, crs),
    read: f.read,
    request: (id: string) =>
      req.insertRequest({
        id,
        title: `request ${id}`,
        kind: "feature",
        risk: "low",
        status: "enqueued",
        priority: 0,
        payload: "{}",
        brief: null,
        answers: null,
        agent: "stub",
        fallback: 0,
        fallback_reason: null,
        created_at: Date.now(),
      }),
    async [Symbol.asyncDispose]() {
      applier.close();
      await f[Symbol.asyncDispose]();
    },
  };
};

const modify = (id: string, request: string, path: string, from: string, to: string): ChangeRequest => ({
  id,
  task_id: `t-${id}`,
  request_id: request,
  changes: [makeFileChange(path, from, to)],
});

describe("a request's status follows its changes", () => {
  test("enqueued, partially applied, applied, rolled back and failed, in history and summary", async () => {
    await using f = await setup({ "a.txt": "a\n", "b.txt": "b\n", "c.txt": "c\n", "d.txt": "d\n" });
    const status = (id: string) => [
      f.list.requests({ request: id, limit: 10 })[0]!.status,
      (summarize(f.repo.db, f.queue, id) as { request: { status: string } }).request.status,
    ];
    for (const r of ["r1", "r2", "r3"]) f.request(r);
    f.submit([
      modify("c1", "r1", "a.txt", "a\n", "A\n"),
      modify("c2", "r1", "b.txt", "b\n", "B\n"),
      modify("c3", "r2", "c.txt", "c\n", "C\n"),
      modify("c4", "r3", "d.txt", "d\n", "D\n"),
    ]);
    f.queue.reject("c4", "not wanted");
    expect(status("r1")).toEqual(["enqueued", "enqueued"]);
    expect(status("r3")).toEqual(["failed", "failed"]);

    await f.drain();
    expect(status("r1")).toEqual(["applied", "applied"]);
    expect(f.list.requests({ status: "applied", limit: 10 }).map((r) => r.id)).toEqual(["r2", "r1"]);

    rollbackOne(f.repo, f.queue, "c2", { force: false, actor: "op" });
    expect(status("r1")).toEqual(["partially_applied", "partially_applied"]);
    rollbackOne(f.repo, f.queue, "c1", { force: false, actor: "op" });
    expect(status("r1")).toEqual(["rolled_back", "rolled_back"]);
    expect(f.list.requests({ status: "failed", limit: 10 }).map((r) => r.id)).toEqual(["r3"]);
    expect(summaryMarkdown(summarize(f.repo.db, f.queue, "r1"))).toContain("feature, rolled_back, filed");
  });

  test("a request whose changes were all archived says archived; summary of an archived change names its file", async () => {
    await using f = await setup({ "a.txt": "a\n" });
    f.request("r1");
    f.submit([modify("c1", "r1", "a.txt", "a\n", "A\n")]);
    requestsSql(f.repo.db).insertTask({
      id: "t-c1",
      request_id: "r1",
      title: "t",
      status: "enqueued",
      owned_paths: "[]",
      context_paths: "[]",
      estimated_tokens: 0,
      payload: "{}",
      agent: "stub",
      fallback: 0,
      fallback_reason: null,
      change_id: "c1",
      created_at: Date.now(),
    });
    await f.drain();
    const archived = f.queue.archive({ olderThanMs: -1_000 });
    expect(archived.moved).toBe(1);
    expect(f.list.requests({ request: "r1", limit: 1 })[0]!.status).toBe("archived");

    const e = thrown(() => summarize(f.repo.db, f.queue, "c1"));
    expect(e.code).toBe("E_ARCHIVED");
    expect(e.message).toMatch(
      /^c1 was archived on \d{4}-\d\d-\d\dT.* in .*changes-\d{4}-\d\d\.db \(applied at /,
    );
    expect(e.message).toContain(archived.file);
    expect(thrown(() => rollbackOne(f.repo, f.queue, "c1", { force: false, actor: "op" })).code).toBe(
      "E_ARCHIVED",
    );
    // The queue's own verbs say so too.
    expect(thrown(() => f.queue.retry("c1")).code).toBe("E_ARCHIVED");
    expect(thrown(() => f.queue.approve("c1", "op")).code).toBe("E_ARCHIVED");
    expect(thrown(() => summarize(f.repo.db, f.queue, "c-none")).code).toBe("E_NOT_FOUND");
  });
});

describe("held changes say why", () => {
  test("list rows and the summary carry the risk reasons", async () => {
    await using f = await setup({ "package.json": "{}\n", "a.txt": "a\n" });
    f.submit([
      { id: "held", task_id: "t", changes: [makeFileChange("package.json", "{}\n", '{"x":1}\n')] },
      { id: "plain", task_id: "t", changes: [makeFileChange("a.txt", "a\n", "A\n")] },
    ]);
    const rows = f.list.changes({ limit: 10 });
    const held = rows.find((r) => r.id === "held")!;
    expect(held.status).toBe("awaiting_approval");
    expect(held.held_for).toContain("package manifest and scripts: package.json (+10)");
    expect(rows.find((r) => r.id === "plain")!.held_for).toEqual([]);
    expect(renderTable(changeColumns, rows, { colour: false })).toContain("package manifest and scripts");

    const s = summarize(f.repo.db, f.queue, "held");
    expect("held_for" in s && s.held_for).toContain("package manifest and scripts: package.json (+10)");
    expect(summaryMarkdown(s)).toContain(
      "held for approval: package manifest and scripts: package.json (+10)",
    );
  });
});

describe("rollback refusals", () => {
  test("name the change that touched the file since, and --force", async () => {
    await using f = await setup({ "a.txt": "a\n" });
    f.submit([modify("c1", "r", "a.txt", "a\n", "A\n"), modify("c2", "r", "a.txt", "A\n", "AA\n")]);
    await f.drain();
    expect(f.read("a.txt")).toBe("AA\n");
    const e = thrown(() => rollbackOne(f.repo, f.queue, "c1", { force: false, actor: "op" }));
    expect(e.code).toBe("E_ROLLBACK_DIVERGED");
    expect(e.message).toBe("cannot roll back c1: a.txt (changed by c2) since it was applied");
    expect(e.hint).toBe(
      "roll back c2 first (newest first), or run `hyperion rollback c1 --force` to merge the undo into the newer edits",
    );
    expect(f.read("a.txt")).toBe("AA\n");
  });

  test("name an outside edit when no change made it", async () => {
    await using f = await setup({ "a.txt": "a\n" });
    f.submit([modify("c1", "r", "a.txt", "a\n", "A\n")]);
    await f.drain();
    writeFileSync(join(f.root, "a.txt"), "by hand\n");
    const e = thrown(() => rollbackOne(f.repo, f.queue, "c1", { force: false, actor: "op" }));
    expect(e.message).toBe("cannot roll back c1: a.txt (edited outside Hyperion) since it was applied");
    expect(e.hint).toBe("run `hyperion rollback c1 --force` to merge the undo into the newer edits");
  });
});

describe("renames in the audit", () => {
  test("are recorded under the old and the new path, and file-mods --path finds either", async () => {
    await using f = await setup({ "src/old.ts": "x\n" });
    f.submit([
      {
        id: "mv",
        task_id: "t",
        changes: [{ ...makeFileChange("src/old.ts", "x\n", "x\n", { newPath: "lib/new.ts" }) }],
      },
    ]);
    await f.drain();
    expect(f.read("lib/new.ts")).toBe("x\n");
    const old = f.list.fileMods({ path: "src/old.ts", limit: 10 });
    const now = f.list.fileMods({ path: "lib/new.ts", limit: 10 });
    expect(old.map((r) => [r.path, r.kind, r.new_path, r.change_id])).toEqual([
      ["src/old.ts", "rename", "lib/new.ts", "mv"],
    ]);
    expect(now.map((r) => [r.path, r.kind, r.new_path, r.change_id])).toEqual([
      ["lib/new.ts", "rename_target", null, "mv"],
    ]);
    expect(renderTable(fileModColumns, old, { colour: false })).toContain("src/old.ts -> lib/new.ts");
    // A rollback removes both records with the apply's journal entry, and restores the old path.
    rollbackOne(f.repo, f.queue, "mv", { force: false, actor: "op" });
    expect(f.read("src/old.ts")).toBe("x\n");
  });
});

describe("plan check's verdict", () => {
  test("says approved only when a person approved the current text", async () => {
    await using f = await setup({});
    const plan = join(f.root, PLAN_FILE);
    writeFileSync(plan, readFileSync(join(ROOT, "testapp", PLAN_FILE)));
    const verdict = () => {
      const { status } = planStatus(f.root, f.repo.db);
      return planVerdict(status.valid, status.recorded);
    };
    expect(verdict()).toBe("valid, not approved: run `hyperion plan approve`");
    approvePlan(f.root, f.repo.db, "op");
    expect(verdict()).toBe("valid and approved");
    writeFileSync(plan, `${readFileSync(plan, "utf8")}\nOne more line.\n`);
    expect(verdict()).toBe("valid, not approved: run `hyperion plan approve`");
    expect(planVerdict(false, true)).toBe("NOT valid");
  });
});
