import { describe, expect, test } from "bun:test";
import { checkChangeRequest, makeFileChange, validateChangeRequest } from "../../lib/patch/index.ts";
import type { FileChange } from "../../lib/schema/index.ts";
import { fixture, limits, thrown } from "./_fixture.ts";

const V1 = "v1\nsame\nsame\nsame\nsame\n";
const V2 = "v2\nsame\nsame\nsame\nsame\n";
const V3 = "v3\nsame\nsame\nsame\nsame\n";

describe("validateChangeRequest", () => {
  test("accepts a change whose base is the tree as it is", async () => {
    await using f = await fixture();
    f.write({ "a.txt": V1 });
    const r = validateChangeRequest(
      { task_id: "t", changes: [makeFileChange("a.txt", V1, V2)] },
      { repo: f.repo, limits },
    );
    expect(r.stale).toEqual([]);
    expect(r.cr.changes[0]!.path).toBe("a.txt");
  });

  test("accepts a change stacked on one queued ahead: its base is the projected file", async () => {
    await using f = await fixture();
    f.write({ "a.txt": V1 });
    const ahead: FileChange[] = [makeFileChange("a.txt", V1, V2)];
    const ctx = { repo: f.repo, limits, ahead: (p: string) => (p === "a.txt" ? ahead : []) };
    expect(
      validateChangeRequest({ task_id: "t", changes: [makeFileChange("a.txt", V2, V3)] }, ctx).stale,
    ).toEqual([]);
    // The projection is computed, not trusted: a patch that does not give its new_sha256 on it is refused.
    const lying = {
      ...makeFileChange("a.txt", V2, V3),
      new_sha256: makeFileChange("a.txt", V2, V1).new_sha256,
    };
    expect(thrown(() => validateChangeRequest({ task_id: "t", changes: [lying] }, ctx)).code).toBe(
      "E_HASH_MISMATCH",
    );
  });

  test("projects creates, deletes and renames queued ahead", async () => {
    await using f = await fixture();
    f.write({ "old.txt": V1 });
    const ahead: Record<string, FileChange[]> = {
      "new.txt": [makeFileChange("new.txt", null, V1)],
      "old.txt": [makeFileChange("old.txt", V1, null, { newPath: "moved.txt" })],
      "moved.txt": [makeFileChange("old.txt", V1, null, { newPath: "moved.txt" })],
    };
    const ctx = { repo: f.repo, limits, ahead: (p: string) => ahead[p] ?? [] };
    expect(
      validateChangeRequest({ task_id: "t", changes: [makeFileChange("new.txt", V1, V2)] }, ctx).stale,
    ).toEqual([]);
    expect(
      validateChangeRequest({ task_id: "t", changes: [makeFileChange("moved.txt", V1, V2)] }, ctx).stale,
    ).toEqual([]);
    const e = thrown(() =>
      validateChangeRequest({ task_id: "t", changes: [makeFileChange("old.txt", V1, V2)] }, ctx),
    );
    expect(e.code).toBe("E_OP_MISMATCH");
    expect(
      thrown(() =>
        validateChangeRequest({ task_id: "t", changes: [makeFileChange("new.txt", null, "x\n")] }, ctx),
      ).code,
    ).toBe("E_OP_MISMATCH");
  });

  test("a base matching neither tree nor projection is accepted as stale, to be rebased at apply", async () => {
    await using f = await fixture();
    f.write({ "a.txt": V3 });
    const r = validateChangeRequest(
      { task_id: "t", changes: [makeFileChange("a.txt", V1, V2)] },
      { repo: f.repo, limits },
    );
    expect(r.stale).toEqual(["a.txt"]);
  });

  test("ownership: exact paths and directories ending in '/'; renames need both sides", async () => {
    await using f = await fixture();
    f.write({ "src/a.ts": V1, "lib/b.ts": V1 });
    const owned = ["src/", "lib/b.ts"];
    const ctx = { repo: f.repo, limits, owned };
    validateChangeRequest(
      { task_id: "t", changes: [makeFileChange("src/a.ts", V1, V2), makeFileChange("lib/b.ts", V1, V2)] },
      ctx,
    );
    const e = thrown(() =>
      validateChangeRequest(
        { task_id: "t", changes: [makeFileChange("src/a.ts", V1, null, { newPath: "docs/a.ts" })] },
        ctx,
      ),
    );
    expect(e.code).toBe("E_NOT_OWNED");
    expect(e.details?.path).toBe("docs/a.ts");
    expect(
      thrown(() =>
        validateChangeRequest({ task_id: "t", changes: [makeFileChange("srcx/a.ts", null, V1)] }, ctx),
      ).code,
    ).toBe("E_NOT_OWNED");
  });

  test("checkChangeRequest reports one problem per bad change", async () => {
    await using f = await fixture();
    f.write({ "a.txt": V1 });
    const r = checkChangeRequest(
      {
        task_id: "t",
        changes: [
          makeFileChange("a.txt", V1, V2),
          { ...makeFileChange("b.txt", null, "b\n"), path: "../b.txt" },
          makeFileChange("a2.txt", V1, V2),
          { ...makeFileChange("c.txt", null, "c\n"), new_sha256: "0".repeat(64) },
        ],
      },
      { repo: f.repo, limits },
    );
    expect(r.cr).toBeNull();
    expect(r.problems.map((p) => [p.index, p.error.code])).toEqual([
      [1, "E_PATH_OUTSIDE_REPO"],
      [2, "E_OP_MISMATCH"],
      [3, "E_HASH_MISMATCH"],
    ]);
  });

  test("deleting or moving a binary file is allowed; patching one is not", async () => {
    await using f = await fixture();
    f.write({ "img.bin": "\u0000PNG" });
    const bin = "\u0000PNG";
    validateChangeRequest(
      { task_id: "t", changes: [makeFileChange("img.bin", bin, null)] },
      { repo: f.repo, limits },
    );
    validateChangeRequest(
      { task_id: "t", changes: [makeFileChange("img.bin", bin, null, { newPath: "assets/img.bin" })] },
      { repo: f.repo, limits },
    );
  });
});
