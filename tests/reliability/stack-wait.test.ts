import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { approveChange, rejectChange, summarize, summaryMarkdown } from "../../lib/governance/index.ts";
import { listings } from "../../lib/ops/listings.ts";
import { makeFileChange } from "../../lib/patch/index.ts";
import { submitChanges } from "../../lib/runtime/index.ts";
import { progressSql } from "../../lib/store/runtime-sql.ts";
import { stackRepo } from "./_stack.ts";

// Real Worker threads on a shared machine: a cap against hangs, not a speed target.
setDefaultTimeout(60_000);

const PKG0 = '{\n  "name": "app",\n  "scripts": {\n    "test": "bun test"\n  }\n}\n';
const PKG_A = '{\n  "name": "app",\n  "scripts": {\n    "test": "bun test",\n    "ci": "./.ci/run"\n  }\n}\n';
const PKG_B = PKG_A.replace('"name": "app"', '"name": "app",\n  "version": "1.0.0"');
const PKG_C = PKG_B.replace('"version": "1.0.0"', '"version": "1.0.0",\n  "license": "MIT"');
const CI0 = "#!/bin/sh\nbun test\n";

// The operator's policy holds CI files; A edits one with package.json, so A waits for a person,
// while B and C (package.json only) are stacked on A's result and enter the queue.
const POLICY = { risk: { paths: [{ glob: ".ci/**", weight: 10, reason: "CI configuration" }] } };

/** A held, then B and C stacked on it in a later submission: the replayed-history shape. */
const stacked = async () => {
  const r = await stackRepo({ "package.json": PKG0, ".ci/run": CI0 }, POLICY);
  const a = submitChanges(r.repo, r.queue, [
    {
      id: "cr-a",
      task_id: "adhoc",
      summary: "a ci script",
      changes: [
        makeFileChange("package.json", PKG0, PKG_A),
        makeFileChange(".ci/run", CI0, `${CI0}bun run lint\n`),
      ],
    },
  ]);
  expect(a.enqueued.map((e) => e.status)).toEqual(["awaiting_approval"]);
  const bc = submitChanges(r.repo, r.queue, [
    { id: "cr-b", task_id: "adhoc", changes: [makeFileChange("package.json", PKG_A, PKG_B)] },
    { id: "cr-c", task_id: "adhoc", changes: [makeFileChange("package.json", PKG_B, PKG_C)] },
  ]);
  expect(bc.rejected).toEqual([]);
  expect(bc.enqueued.map((e) => e.status)).toEqual(["queued", "queued"]);
  return r;
};

describe("stacked changes wait for a held predecessor", () => {
  test("run leaves them queued with no attempt spent, shown as waiting for it; approval drains the stack in order", async () => {
    await using r = await stacked();

    const first = await r.run();
    expect(first.exit_code).toBe(3);
    for (const id of ["cr-b", "cr-c"]) {
      const c = r.queue.get(id)!;
      expect([c.status, c.attempts]).toEqual(["queued", 0]);
      expect(r.queue.waitingFor(id)).toBe("cr-a");
    }
    expect(r.queue.get("cr-a")!.status).toBe("awaiting_approval");
    // Progress counts the held change once, as held, though it holds a place in line.
    expect(progressSql(r.repo.db).activeCounts()).toEqual({ queued: 2, leased: 0, awaiting_approval: 1 });
    expect(readFileSync(join(r.dir, "package.json"), "utf8")).toBe(PKG0);

    // Listings and summary say what they wait for.
    const records = listings(r.repo.db).changes({ limit: 10 });
    const waiting = Object.fromEntries(records.map((c) => [c.id, c.waiting_for]));
    expect(waiting).toEqual({ "cr-a": null, "cr-b": "cr-a", "cr-c": "cr-a" });
    const summary = summarize(r.repo.db, r.queue, "cr-c");
    expect("waiting_for" in summary && summary.waiting_for).toBe("cr-a");
    expect(summaryMarkdown(summary)).toContain("waiting for cr-a");

    approveChange(r.repo.db, r.queue, "cr-a", "alice", "reviewed");
    const second = await r.run();
    expect(second.exit_code).toBe(0);
    expect(r.appliedOrder()).toEqual(["cr-a", "cr-b", "cr-c"]);
    for (const id of ["cr-a", "cr-b", "cr-c"]) expect(r.queue.get(id)!.attempts).toBe(1);
    expect(readFileSync(join(r.dir, "package.json"), "utf8")).toBe(PKG_C);
    expect(r.queue.deadLetters()).toEqual([]);
  });

  test("rejecting the held change fails the stack at once with E_DEPENDENCY naming it", async () => {
    await using r = await stacked();
    rejectChange(r.repo.db, r.queue, "cr-a", "alice", "not this script");

    for (const id of ["cr-b", "cr-c"]) {
      const c = r.queue.get(id)!;
      expect([c.status, c.attempts]).toEqual(["dead", 0]);
      const dead = r.queue.deadLetter(id)!;
      expect(dead.reason_code).toBe("E_DEPENDENCY");
      expect(dead.message).toContain("cr-a");
      expect(dead.message).toContain("rejected");
    }
    // Nothing is left in line: a run has nothing to do and touches nothing.
    const run = await r.run();
    expect(run.exit_code).toBe(0);
    expect(r.appliedOrder()).toEqual([]);
    expect(readFileSync(join(r.dir, "package.json"), "utf8")).toBe(PKG0);
  });
});
