import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { makeFileChange, recoverApplies } from "../../lib/patch/index.ts";
import { ownerGone } from "../../lib/queue/index.ts";
import { faultRepo, until } from "./_faults-repo.ts";

/**
 * A zombie: `sh` starts a short child, then execs `sleep`, which never reaps it. Returns the
 * zombie's pid and its parent, to be killed (and reaped by us) at the end.
 */
const zombie = async () => {
  const parent = Bun.spawn(["sh", "-c", "sleep 0.05 & echo $!; exec sleep 60"], { stdout: "pipe" });
  const reader = parent.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) text += new TextDecoder().decode((await reader.read()).value);
  reader.releaseLock();
  const pid = Number(text.trim());
  const state = () => readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0];
  await until(() => state() === "Z", "the child to become a zombie");
  return { pid, parent };
};

describe("owner liveness", () => {
  test("a zombie owner is gone: its lease returns to the queue at once", async () => {
    await using f = await faultRepo({ files: { "a.txt": "a\n" } });
    const z = await zombie();
    try {
      process.kill(z.pid, 0); // what the old check asked: a zombie answers
      const owner = `${hostname()}:${z.pid}:w`;
      expect(ownerGone(owner)).toBe(true);
      const [c] = f.enqueue([{ task_id: "t", changes: [makeFileChange("a.txt", "a\n", "A\n")] }]);
      expect(f.queue.lease(owner)?.id).toBe(c!.id);
      expect(f.queue.reclaim()).toBe(1);
      expect(f.status(c!.id)).toBe("queued");
    } finally {
      z.parent.kill("SIGKILL");
      await z.parent.exited;
    }
  });

  test("a pid reused by a later process is not the owner: the lease is reclaimed", async () => {
    const other = Bun.spawn(["sleep", "60"]);
    try {
      const start = readFileSync(`/proc/${other.pid}/stat`, "utf8").split(") ")[1]!.split(" ")[19]!;
      expect(ownerGone(`${hostname()}:${other.pid}/${start}:w`)).toBe(false);
      // The same pid recorded with another start time: the process that took the lease is gone.
      expect(ownerGone(`${hostname()}:${other.pid}/${Number(start) - 1}:w`)).toBe(true);
    } finally {
      other.kill("SIGKILL");
      await other.exited;
    }
  });

  test("recovery settles the pending apply of a zombie instead of waiting for it forever", async () => {
    await using f = await faultRepo({ files: { "a.txt": "a\n" } });
    const z = await zombie();
    try {
      const [c] = f.enqueue([{ task_id: "t", changes: [makeFileChange("a.txt", "a\n", "A\n")] }]);
      // A journal entry the zombie left pending (its intent recorded, nothing renamed yet).
      f.repo.db.run(
        `INSERT INTO apply_journal (change_id, kind, state, owner, payload_sha256, plan, result, created_at, updated_at)
         VALUES (?, 'apply', 'pending', ?, NULL, ?, NULL, 0, 0)`,
        [c!.id, `${hostname()}:${z.pid}:1`, JSON.stringify({ files: [], dirs: [] })],
      );
      const r = recoverApplies({ repo: f.root, db: f.repo.db });
      expect(r.skipped).toEqual([]);
      expect(r.rolledForward.length + r.rolledBack.length).toBe(1);
    } finally {
      z.parent.kill("SIGKILL");
      await z.parent.exited;
    }
  });
});
