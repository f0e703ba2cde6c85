import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeFileChange } from "../../lib/patch/index.ts";
import { createApplier } from "../../lib/runtime/applier.ts";
import { run } from "../_helpers.ts";
import { faultRepo, until } from "./_faults-repo.ts";

// Child processes and a lease that must run out (lease_ms is at least 1 s): a cap against hangs.
setDefaultTimeout(60_000);

// The first run of the gate blocks until the test releases it, then exits `code`; later runs pass.
const gate = (marks: string, code: number) => `if mkdir ${marks}/first 2>/dev/null; then
  while [ ! -e ${marks}/release ]; do sleep 0.02; done
  exit ${code}
fi
exit 0
`;

type Repo = Awaited<ReturnType<typeof faultRepo>>;

/**
 * Worker A (its own process) applies the change and blocks in validation; it is SIGSTOPped until
 * its lease has run out; worker B (here) takes the change over and handles it. Returns A's
 * outcomes once it has been resumed and finished.
 */
const stallAndTakeOver = async (f: Repo, id: string, flagsA: string, commitB: boolean) => {
  const a = Bun.spawn([process.execPath, join(import.meta.dir, "_worker.ts"), f.root, f.db, "wA", flagsA], {
    stdout: "pipe",
    stderr: "pipe",
    env: process.env,
  });
  await until(() => existsSync(join(f.marks, "first")), "A to start validating");
  expect(f.read("a.txt")).toBe("A\n");
  // A stalls (its heartbeats stop) until its lease has run out.
  process.kill(a.pid, "SIGSTOP");
  await until(() => {
    const row = f.repo.db
      .query<{ leased_until: number | null }, [string]>("SELECT leased_until FROM change_queue WHERE id = ?")
      .get(id);
    return (row?.leased_until ?? 0) < Date.now();
  }, "A's lease to expire");

  // Worker B takes the change over, validates (the gate passes now) and completes it.
  const b = createApplier({ repo: f.root, db: f.db, worker: "wB", validate: true, commit: commitB });
  let outB = await b.process(1);
  // B takes it once it has watched the lease go a whole lease length without a heartbeat.
  for (let i = 0; outB.length === 0 && i < 1_000; i++) {
    await Bun.sleep(10);
    outB = await b.process(1);
  }
  b.close();
  expect(outB.map((o) => o.status)).toEqual(["applied"]);

  writeFileSync(join(f.marks, "release"), "");
  process.kill(a.pid, "SIGCONT");
  const [outA, errA] = [await new Response(a.stdout).text(), await new Response(a.stderr).text()];
  expect(await a.exited).toBe(0);
  expect(errA).not.toContain("Error");
  return JSON.parse(outA) as { status: string }[];
};

describe("fencing after a stall", () => {
  test("a worker stalled past its lease while validating never rolls back what the next owner completed", async () => {
    await using f = await faultRepo({
      files: { "a.txt": "a\n" },
      config: { queue: { lease_ms: 1_000, reclaim_interval_ms: 0 } },
      plan: { commands: ["sh gate.sh"], validation: ["sh gate.sh"] },
    });
    writeFileSync(join(f.root, "gate.sh"), gate(f.marks, 1));
    const [c] = f.enqueue([{ task_id: "t", changes: [makeFileChange("a.txt", "a\n", "A\n")] }]);
    // A resumes: its validation fails, and the rollback it would do is fenced off.
    const outA = await stallAndTakeOver(f, c!.id, "validate", false);
    expect(outA.map((o) => o.status)).toEqual(["lost"]);
    // The queue and the tree agree: applied, and the file holds the change.
    expect(f.status(c!.id)).toBe("applied");
    expect(f.read("a.txt")).toBe("A\n");
    expect(f.journal(c!.id)).toEqual([{ kind: "apply", state: "applied" }]);
  });

  test("a worker whose lease was lost while validating runs no git commit", async () => {
    await using f = await faultRepo({
      files: { "a.txt": "a\n" },
      config: { queue: { lease_ms: 1_000, reclaim_interval_ms: 0 } },
      plan: { commands: ["sh gate.sh"], validation: ["sh gate.sh"] },
    });
    writeFileSync(join(f.root, "gate.sh"), gate(f.marks, 0));
    const git = (...args: string[]) =>
      run(["git", "-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: f.root });
    await git("init", "-q");
    await git("add", "-A");
    await git("commit", "-qm", "base");
    const [c] = f.enqueue([{ task_id: "t", changes: [makeFileChange("a.txt", "a\n", "A\n")] }]);
    // A's validation passes when it resumes; its commit would come next, but the lease is B's.
    const outA = await stallAndTakeOver(f, c!.id, "validate,commit", false);
    expect(outA.map((o) => o.status)).toEqual(["lost"]);
    expect((await git("log", "--format=%s")).stdout.trim().split("\n")).toEqual(["base"]);
    expect(f.status(c!.id)).toBe("applied");
  });
});
