import { describe, expect, test } from "bun:test";
import { applyEdits, editPaths } from "../../lib/agents/index.ts";
import { HyperionError } from "../../lib/errors.ts";
import type { Edit } from "../../lib/schema/index.ts";

const tree: Record<string, string> = { "a.ts": "one two two\n", "b.ts": "bee\n" };
const read = (p: string) => tree[p] ?? null;

const refused = (edits: Edit[]): HyperionError => {
  try {
    applyEdits(edits, read);
  } catch (e) {
    if (e instanceof HyperionError) return e;
    throw e;
  }
  throw new Error("expected the edits to be refused");
};

describe("applyEdits", () => {
  test("plays create, modify, delete and rename in order over the tree", () => {
    const out = applyEdits(
      [
        { op: "create", path: "c.ts", content: "sea\n" },
        { op: "modify", path: "c.ts", replace: [{ find: "sea", replace: "see", all: false }] },
        { op: "modify", path: "a.ts", replace: [{ find: "two", replace: "2", all: true }] },
        { op: "delete", path: "b.ts" },
        { op: "rename", path: "c.ts", new_path: "d/c.ts" },
      ],
      read,
    );
    expect(Object.fromEntries(out)).toEqual({
      "c.ts": null,
      "a.ts": "one 2 2\n",
      "b.ts": null,
      "d/c.ts": "see\n",
    });
  });

  test("a modify with content replaces the whole file; a rename may carry new content", () => {
    const out = applyEdits(
      [
        { op: "modify", path: "a.ts", content: "new\n" },
        { op: "rename", path: "b.ts", new_path: "bb.ts", content: "moved\n" },
      ],
      read,
    );
    expect(out.get("a.ts")).toBe("new\n");
    expect(out.get("bb.ts")).toBe("moved\n");
    expect(out.get("b.ts")).toBeNull();
  });

  test("a replacement text is inserted literally, even with $ patterns", () => {
    const out = applyEdits(
      [{ op: "modify", path: "b.ts", replace: [{ find: "bee", replace: "$& $1", all: false }] }],
      read,
    );
    expect(out.get("b.ts")).toBe("$& $1\n");
  });

  test.each([
    [
      "create of an existing file",
      [{ op: "create", path: "a.ts", content: "" }],
      "E_EDIT_EXISTS",
      "edits[0]",
    ],
    ["modify of a missing file", [{ op: "modify", path: "x.ts", content: "" }], "E_EDIT_MISSING", "edits[0]"],
    ["delete of a missing file", [{ op: "delete", path: "x.ts" }], "E_EDIT_MISSING", "edits[0]"],
    [
      "modify after delete",
      [
        { op: "delete", path: "b.ts" },
        { op: "modify", path: "b.ts", content: "" },
      ],
      "E_EDIT_MISSING",
      "edits[1]",
    ],
    ["rename onto a file", [{ op: "rename", path: "a.ts", new_path: "b.ts" }], "E_EDIT_EXISTS", "edits[0]"],
    ["rename to itself", [{ op: "rename", path: "a.ts", new_path: "a.ts" }], "E_EDIT_INVALID", "edits[0]"],
    [
      "a find text that is absent",
      [{ op: "modify", path: "a.ts", replace: [{ find: "three", replace: "3", all: false }] }],
      "E_EDIT_FIND",
      "edits[0].replace[0].find",
    ],
    [
      "a find text found twice without all",
      [{ op: "modify", path: "a.ts", replace: [{ find: "two", replace: "2", all: false }] }],
      "E_EDIT_FIND",
      "edits[0].replace[0].find",
    ],
  ] as [string, Edit[], string, string][])("refuses %s, naming the edit", (_name, edits, code, where) => {
    const e = refused(edits);
    expect(e.code as string).toBe(code);
    expect(e.exitCode).toBe(2);
    expect(e.message).toStartWith(`${where}: `);
  });

  test("editPaths names both ends of a rename", () => {
    expect(editPaths({ op: "rename", path: "a", new_path: "b" })).toEqual(["a", "b"]);
    expect(editPaths({ op: "delete", path: "a" })).toEqual(["a"]);
  });
});
