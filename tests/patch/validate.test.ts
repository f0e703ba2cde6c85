import { describe, expect, test } from "bun:test";
import {
  checkChangeRequest,
  makeFileChange,
  sha256Hex,
  type Tip,
  validateChangeRequest,
} from "../../lib/patch/index.ts";
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

  test("accepts a change stacked on the open change ahead: its base is that change's result", async () => {
    await using f = await fixture();
    f.write({ "a.txt": V1 });
    const tips: Record<string, Tip> = { "a.txt": { sha: sha256Hex(V2), text: () => V2 } };
    const ctx = { repo: f.repo, limits, tip: (p: string) => tips[p] ?? null };
    const r = validateChangeRequest({ task_id: "t", changes: [makeFileChange("a.txt", V2, V3)] }, ctx);
    expect(r.stale).toEqual([]);
    expect(r.left).toEqual([{ path: "a.txt", sha: sha256Hex(V3), text: V3 }]);
    // The result is computed on the kept content, not trusted: a patch that does not give its
    // new_sha256 on it is refused.
    const lying = {
      ...makeFileChange("a.txt", V2, V3),
      new_sha256: makeFileChange("a.txt", V2, V1).new_sha256,
    };
    expect(thrown(() => validateChangeRequest({ task_id: "t", changes: [lying] }, ctx)).code).toBe(
      "E_HASH_MISMATCH",
    );
    // A result known only by its hash (its content not kept) is a base, unchecked until apply.
    tips["a.txt"] = { sha: sha256Hex(V2), text: () => null };
    expect(validateChangeRequest({ task_id: "t", changes: [lying] }, ctx).left).toEqual([
      { path: "a.txt", sha: lying.new_sha256 ?? null, text: null },
    ]);
  });

  test("the open changes ahead create, delete and move files", async () => {
    await using f = await fixture();
    f.write({ "old.txt": V1 });
    const tips: Record<string, Tip> = {
      "new.txt": { sha: sha256Hex(V1), text: () => V1 },
      "old.txt": { sha: null, text: () => null },
      "moved.txt": { sha: sha256Hex(V1), text: () => V1 },
    };
    const ctx = { repo: f.repo, limits, tip: (p: string) => tips[p] ?? null };
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

  test("reports what each change leaves: deletes and renames too", async () => {
    await using f = await fixture();
    f.write({ "a.txt": V1, "b.txt": V2 });
    const r = validateChangeRequest(
      {
        task_id: "t",
        changes: [
          makeFileChange("a.txt", V1, null),
          makeFileChange("b.txt", V2, V3, { newPath: "c.txt" }),
          makeFileChange("d.txt", null, V1),
        ],
      },
      { repo: f.repo, limits },
    );
    expect(r.left).toEqual([
      { path: "a.txt", sha: null, text: null },
      { path: "b.txt", sha: null, text: null },
      { path: "c.txt", sha: sha256Hex(V3), text: V3 },
      { path: "d.txt", sha: sha256Hex(V1), text: V1 },
    ]);
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
