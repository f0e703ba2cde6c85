import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeFileChange } from "../../lib/patch/index.ts";
import { createQueue } from "../../lib/queue/index.ts";
import { watchTree } from "../../lib/runtime/index.ts";
import { initRepo, openRepo, readSecret } from "../../lib/store/index.ts";
import { tmpdir } from "../_helpers.ts";

/** Polls until `check` holds, with a deadline: fs.watch events arrive asynchronously. */
const eventually = async (check: () => boolean, what: string) => {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await Bun.sleep(10);
  }
};

describe("watchTree", () => {
  test("records an external edit and marks the queued change on that path for rebase", async () => {
    await using dir = await tmpdir();
    writeFileSync(join(dir.path, "a.txt"), "one\n");
    writeFileSync(join(dir.path, "b.txt"), "one\n");
    mkdirSync(join(dir.path, ".git"));
    initRepo({ repo: dir.path });
    using repo = openRepo({ repo: dir.path });
    const queue = createQueue(repo.db, { secret: readSecret(repo.loc), config: repo.config.queue });
    queue.enqueue([{ id: "cr-a", task_id: "t", changes: [makeFileChange("a.txt", "one\n", "two\n")] }]);
    const watcher = watchTree(repo.loc.repo, repo.db, queue);
    try {
      writeFileSync(join(dir.path, "a.txt"), "edited by hand\n");
      writeFileSync(join(dir.path, ".git/HEAD"), "ignored\n");
      const external = repo.db.query<{ path: string; kind: string; change_id: string | null }, []>(
        "SELECT path, kind, change_id FROM file_modifications WHERE source = 'external'",
      );
      await eventually(() => external.all().some((r) => r.path === "a.txt"), "a.txt recorded");
      expect(external.all().find((r) => r.path === "a.txt")).toEqual({
        path: "a.txt",
        kind: "modified",
        change_id: null,
      });
      expect(queue.get("cr-a")?.needs_rebase).toBe(true);

      writeFileSync(join(dir.path, "b.txt"), "also by hand\n");
      await eventually(() => external.all().some((r) => r.path === "b.txt"), "b.txt recorded");
      // Nothing under .git/ or .hyperion/ is ever recorded.
      expect(
        external.all().filter((r) => r.path.startsWith(".git") || r.path.startsWith(".hyperion")),
      ).toEqual([]);
    } finally {
      watcher.close();
    }
  });
});
