import { Database } from "bun:sqlite";
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeFileChange } from "../../lib/patch/index.ts";
import { packResult, unpackResult } from "../../lib/queue/results.ts";
import { hyperion, tmpdir } from "../_helpers.ts";

// Real child processes on a shared machine: a cap against hangs, not a speed target.
setDefaultTimeout(120_000);

const queued = (repo: string) => {
  const db = new Database(join(repo, ".hyperion/hyperion.db"), { readonly: true });
  const n = db.query<{ n: number }, []>("SELECT count(*) AS n FROM change_queue").get()!.n;
  db.close();
  return n;
};

const setup = async () => {
  const dir = await tmpdir();
  writeFileSync(join(dir.path, "a.txt"), "one\n");
  await hyperion(["init", "--repo", dir.path]);
  return dir;
};

const good = { id: "cr-good", task_id: "adhoc", changes: [makeFileChange("a.txt", "one\n", "two\n")] };
// A hostile change, written by hand: makeFileChange itself refuses such paths.
const outside = {
  id: "cr-bad",
  task_id: "adhoc",
  changes: [{ ...makeFileChange("escape.txt", null, "x\n"), path: "../escape.txt" }],
};

describe("hyperion enqueue", () => {
  test("prints id, task, status and paths as JSON", async () => {
    await using dir = await setup();
    writeFileSync(join(dir.path, "in.json"), JSON.stringify(good));
    const r = await hyperion(["enqueue", "in.json", "--repo", dir.path, "--format", "json"], {
      cwd: dir.path,
    });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      { id: "cr-good", task_id: "adhoc", status: "queued", paths: ["a.txt"], held_for: [] },
    ]);
  });

  test("reads standard input with -", async () => {
    await using dir = await setup();
    const r = await hyperion(["enqueue", "-", "--repo", dir.path, "--format", "json"], {
      stdin: JSON.stringify([good]),
    });
    expect(r.exitCode).toBe(0);
    expect(queued(dir.path)).toBe(1);
  });

  test("a file with any invalid change enqueues nothing, naming each rejected change's code", async () => {
    await using dir = await setup();
    writeFileSync(join(dir.path, "in.json"), JSON.stringify([good, outside]));
    const r = await hyperion(["enqueue", join(dir.path, "in.json"), "--repo", dir.path]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("E_PATH_OUTSIDE_REPO: change #1 (cr-bad)");
    expect(r.stderr).toContain("nothing enqueued");
    expect(queued(dir.path)).toBe(0);
  });

  test("--partial enqueues the valid ones and still exits 2", async () => {
    await using dir = await setup();
    writeFileSync(join(dir.path, "in.json"), JSON.stringify([good, outside]));
    const r = await hyperion([
      "enqueue",
      join(dir.path, "in.json"),
      "--repo",
      dir.path,
      "--partial",
      "--format",
      "json",
    ]);
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout).map((e: { id: string }) => e.id)).toEqual(["cr-good"]);
    expect(queued(dir.path)).toBe(1);
  });

  test("malformed JSON names line and column; a reused id is refused", async () => {
    await using dir = await setup();
    writeFileSync(join(dir.path, "bad.json"), '{\n  "task_id": "t",\n  changes: []\n}');
    const bad = await hyperion(["enqueue", join(dir.path, "bad.json"), "--repo", dir.path]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain("bad.json:3:3");

    writeFileSync(join(dir.path, "in.json"), JSON.stringify(good));
    expect((await hyperion(["enqueue", join(dir.path, "in.json"), "--repo", dir.path])).exitCode).toBe(0);
    const again = await hyperion(["enqueue", join(dir.path, "in.json"), "--repo", dir.path]);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain("E_DUPLICATE_ID");
    expect(queued(dir.path)).toBe(1);
  });

  test("a change stacked on one an earlier call enqueued is checked against the result that call kept", async () => {
    await using dir = await setup();
    const enqueue = async (cr: object) => {
      writeFileSync(join(dir.path, "in.json"), JSON.stringify(cr));
      return hyperion(["enqueue", join(dir.path, "in.json"), "--repo", dir.path]);
    };
    expect((await enqueue(good)).exitCode).toBe(0);
    const kept = () => {
      const db = new Database(join(dir.path, ".hyperion/hyperion.db"));
      try {
        return db
          .query<{ id: string; key: string; content: string | Uint8Array }, []>(
            "SELECT c.id, r.key, r.content FROM change_results r JOIN change_queue c ON c.seq = r.seq ORDER BY r.seq",
          )
          .all()
          .map((r) => [r.id, r.key, unpackResult(r.content)]);
      } finally {
        db.close();
      }
    };
    expect(kept()).toEqual([["cr-good", "a.txt", "two\n"]]);

    // Its new_sha256 is not what its patch gives on "two\n": refused, though the tree holds "one\n".
    const lying = { ...makeFileChange("a.txt", "two\n", "three\n"), new_sha256: "0".repeat(64) };
    const refused = await enqueue({ id: "cr-lying", task_id: "adhoc", changes: [lying] });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain("E_HASH_MISMATCH");

    // The kept result is what validation reads (nothing is replayed): made to say otherwise, a
    // patch made on the real result no longer fits it.
    const keep = (text: string) => {
      const db = new Database(join(dir.path, ".hyperion/hyperion.db"));
      db.run("UPDATE change_results SET content = ?", [packResult(text)]);
      db.close();
    };
    keep("else\n");
    const next = { id: "cr-next", task_id: "adhoc", changes: [makeFileChange("a.txt", "two\n", "three\n")] };
    const misfit = await enqueue(next);
    expect(misfit.exitCode).toBe(2);
    expect(misfit.stderr).toContain("E_PATCH_MISMATCH");
    keep("two\n");
    expect((await enqueue(next)).exitCode).toBe(0);
    expect(kept()).toEqual([
      ["cr-good", "a.txt", "two\n"],
      ["cr-next", "a.txt", "three\n"],
    ]);
  });
});
