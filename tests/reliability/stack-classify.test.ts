import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { makeFileChange } from "../../lib/patch/index.ts";
import { submitChanges } from "../../lib/runtime/index.ts";
import { run as runProcess } from "../_helpers.ts";
import { stackRepo } from "./_stack.ts";

// Real Worker threads on a shared machine: a cap against hangs, not a speed target.
setDefaultTimeout(60_000);

const NOTES = "alpha\nbeta\ngamma\n";

describe("failures no retry can mend are dead after one attempt", () => {
  test("a base that is neither the file nor any open change's result: dead at once, after its one rebase try", async () => {
    await using r = await stackRepo({ "notes.txt": NOTES });
    // Made against a file this repository never held, and whose lines are not in it.
    const stray = makeFileChange("notes.txt", "one\ntwo\nthree\n", "one\nTWO\nthree\n");
    const { enqueued } = submitChanges(r.repo, r.queue, [
      { id: "cr-stray", task_id: "adhoc", changes: [stray] },
    ]);
    expect(enqueued.map((e) => e.status)).toEqual(["queued"]);

    const summary = await r.run();
    expect(summary.exit_code).toBe(3);
    const c = r.queue.get("cr-stray")!;
    expect([c.status, c.attempts]).toEqual(["dead", 1]);
    expect(r.queue.deadLetter("cr-stray")!.reason_code).toBe("E_BASE_CHANGED");
    expect(r.queue.logs("cr-stray").filter((l) => l.event === "failed")).toEqual([]);
    expect(readFileSync(join(r.dir, "notes.txt"), "utf8")).toBe(NOTES);
  });

  test("E_IO from a file the system will not let us replace (chattr +i, EPERM): dead at once", async () => {
    await using r = await stackRepo({ "notes.txt": NOTES });
    const file = join(r.dir, "notes.txt");
    expect((await runProcess(["chattr", "+i", file])).exitCode).toBe(0);
    try {
      submitChanges(r.repo, r.queue, [
        {
          id: "cr-locked",
          task_id: "adhoc",
          changes: [makeFileChange("notes.txt", NOTES, `${NOTES}delta\n`)],
        },
      ]);
      const summary = await r.run();
      expect(summary.exit_code).toBe(3);
      const c = r.queue.get("cr-locked")!;
      expect([c.status, c.attempts]).toEqual(["dead", 1]);
      const dead = r.queue.deadLetter("cr-locked")!;
      expect(dead.reason_code).toBe("E_IO");
      expect(dead.message).toContain("EPERM");
      expect(readFileSync(file, "utf8")).toBe(NOTES);
    } finally {
      await runProcess(["chattr", "-i", file]);
    }
  });

  test("E_IO from a read-only mount (bubblewrap, EROFS): dead at once", async () => {
    await using r = await stackRepo({ "src/notes.txt": NOTES });
    submitChanges(r.repo, r.queue, [
      { id: "cr-ro", task_id: "adhoc", changes: [makeFileChange("src/notes.txt", NOTES, `${NOTES}delta\n`)] },
    ]);
    // `hyperion run` in a mount namespace where src/ is read-only and the rest as it is.
    const src = join(r.dir, "src");
    const run = await runProcess([
      "bwrap",
      "--dev-bind",
      "/",
      "/",
      "--ro-bind",
      src,
      src,
      "--",
      process.execPath,
      "cmd/hyperion.ts",
      "run",
      "--until-empty",
      "--repo",
      r.dir,
    ]);
    expect(run.exitCode).toBe(3);
    const c = r.queue.get("cr-ro")!;
    expect([c.status, c.attempts]).toEqual(["dead", 1]);
    const dead = r.queue.deadLetter("cr-ro")!;
    expect(dead.reason_code).toBe("E_IO");
    expect(dead.message).toContain("EROFS");
    expect(readFileSync(join(src, "notes.txt"), "utf8")).toBe(NOTES);
  });
});
