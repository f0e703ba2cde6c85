import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ChangeRequest,
  Config,
  DeveloperTask,
  jsonSchemaOf,
  renderSchemasDoc,
  ScopeBrief,
  schemaNames,
  TaskRequest,
} from "../../lib/schema/index.ts";
import { ROOT } from "../_helpers.ts";

const hex = "a".repeat(64);

describe("ChangeRequest", () => {
  test("accepts the wire shape of DESIGN.md", () => {
    const cr = ChangeRequest.parse({
      id: "cr-0001",
      task_id: "t-7",
      request_id: "r-3",
      agent: "copilot",
      summary: "one line",
      changes: [
        {
          path: "src/a.ts",
          operation: "modify",
          patch: "--- a/src/a.ts\n",
          base_sha256: hex,
          new_sha256: hex,
        },
        { path: "src/old.ts", operation: "rename", new_path: "src/new.ts", base_sha256: hex },
      ],
    });
    expect(cr.changes).toHaveLength(2);
    expect(cr.changes[1]?.new_path).toBe("src/new.ts");
  });

  test.each([
    ["no changes", { task_id: "t", changes: [] }, "changes"],
    [
      "unknown operation",
      { task_id: "t", changes: [{ path: "a", operation: "chmod" }] },
      "changes.0.operation",
    ],
    [
      "bad hash",
      { task_id: "t", changes: [{ path: "a", operation: "delete", base_sha256: "xyz" }] },
      "changes.0.base_sha256",
    ],
    ["unknown field", { task_id: "t", changes: [{ path: "a", operation: "delete", sha: hex }] }, "changes.0"],
    ["id with a slash", { id: "../x", task_id: "t", changes: [{ path: "a", operation: "delete" }] }, "id"],
    ["missing task id", { changes: [{ path: "a", operation: "delete" }] }, "task_id"],
  ])("refuses %s", (_name, input, where) => {
    const r = ChangeRequest.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join("."))).toContain(where);
  });
});

describe("TaskRequest", () => {
  test("fills defaults and keeps explicit edits", () => {
    const tr = TaskRequest.parse({
      title: "Add a greeting",
      edits: [
        { op: "create", path: "src/hello.ts", content: "export {}\n" },
        { op: "modify", path: "src/a.ts", replace: [{ find: "x", replace: "y" }] },
        { op: "rename", path: "a", new_path: "b" },
        { op: "delete", path: "c" },
      ],
    });
    expect(tr.priority).toBe(0);
    expect(tr.acceptance).toEqual([]);
    expect(tr.edits[1]).toEqual({
      op: "modify",
      path: "src/a.ts",
      replace: [{ find: "x", replace: "y", all: false }],
    });
  });

  test.each([
    ["an empty title", { title: " " }],
    ["an unknown kind", { title: "x", kind: "chore" }],
    [
      "a modify with both content and replace",
      {
        title: "x",
        edits: [{ op: "modify", path: "a", content: "", replace: [{ find: "a", replace: "b" }] }],
      },
    ],
    ["a modify with neither", { title: "x", edits: [{ op: "modify", path: "a" }] }],
    ["an unknown edit op", { title: "x", edits: [{ op: "chmod", path: "a" }] }],
  ])("refuses %s", (_name, input) => {
    expect(TaskRequest.safeParse(input).success).toBe(false);
  });
});

describe("ScopeBrief and DeveloperTask", () => {
  test("accept well-formed values and refuse missing owned paths", () => {
    expect(
      ScopeBrief.parse({ request_id: "r-1", kind: "docs", summary: "s", include: ["docs/**"], risk: "low" })
        .open_questions,
    ).toEqual([]);
    const task = { id: "t-1", request_id: "r-1", title: "t", owned_paths: ["a.ts"], estimated_tokens: 10 };
    expect(DeveloperTask.parse(task).context_paths).toEqual([]);
    expect(DeveloperTask.safeParse({ ...task, owned_paths: [] }).success).toBe(false);
    expect(
      ScopeBrief.safeParse({ request_id: "r-1", kind: "docs", summary: "s", include: [], risk: "severe" })
        .success,
    ).toBe(false);
  });
});

describe("Config", () => {
  test("an empty object gets every default", () => {
    const c = Config.parse({});
    expect(c.workers).toBe(2);
    expect(c.queue.max_attempts).toBe(5);
    expect(c.limits.max_patch_bytes).toBeGreaterThanOrEqual(1024 * 1024);
  });
  test("refuses unknown keys and out-of-range values", () => {
    expect(Config.safeParse({ wrkers: 2 }).success).toBe(false);
    expect(Config.safeParse({ workers: 0 }).success).toBe(false);
  });
});

describe("JSON Schema export", () => {
  test.each(schemaNames)("%s exports an object schema with properties", (name) => {
    const s = jsonSchemaOf(name);
    expect(s.type).toBe("object");
    expect(Object.keys(s.properties as object).length).toBeGreaterThan(0);
  });

  test("docs/SCHEMAS.md is generated from the current schemas (run `bun run docs:schemas`)", () => {
    expect(readFileSync(join(ROOT, "docs/SCHEMAS.md"), "utf8")).toBe(renderSchemasDoc());
  });
});
