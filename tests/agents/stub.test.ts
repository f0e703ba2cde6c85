import { describe, expect, test } from "bun:test";
import {
  classify,
  type EngineerInput,
  localImports,
  stemOf,
  stubDeveloper,
  stubEngineer,
} from "../../lib/agents/index.ts";
import { DeveloperTask, type Edit, TaskRequest } from "../../lib/schema/index.ts";

const engineerInput = (req: object, o: Partial<EngineerInput> = {}): EngineerInput => ({
  request: { ...TaskRequest.parse(req), id: "r-1" },
  answers: [],
  assume: false,
  files: [],
  ...o,
});
const modify = (path: string): Edit => ({ op: "modify", path, content: "x" });

describe("stub engineer", () => {
  test.each([
    ["Fix the crash in report", [], "bugfix"],
    ["Rename greet to hello", [], "refactor"],
    ["Document the math helpers", [], "docs"],
    ["Add a median", [], "feature"],
    ["Anything at all", ["README.md", "docs/a.md"], "docs"],
  ] as [string, string[], string][])("classifies %p as its kind", (title, paths, kind) => {
    expect(classify(title, paths)).toBe(kind as ReturnType<typeof classify>);
  });

  test("a kind the person gave is kept", () => {
    const out = stubEngineer(engineerInput({ title: "Fix it", kind: "feature", edits: [modify("a.ts")] }));
    expect(out.kind).toBe("feature");
  });

  test("scope defaults to the files the edits touch; risk rises with deletes and sensitive files", () => {
    const low = stubEngineer(engineerInput({ title: "t", edits: [modify("src/a.ts")] }));
    expect(low).toMatchObject({ include: ["src/a.ts"], risk: "low", open_questions: [] });
    const medium = stubEngineer(engineerInput({ title: "t", edits: [{ op: "delete", path: "src/a.ts" }] }));
    expect(medium.risk).toBe("medium");
    const high = stubEngineer(engineerInput({ title: "t", edits: [modify("package.json")] }));
    expect(high.risk).toBe("high");
  });

  test("a request with no edits asks what to change", () => {
    const out = stubEngineer(engineerInput({ title: "Make it better" }));
    expect(out.open_questions).toHaveLength(1);
    expect(out.open_questions[0]).toContain("no edits");
  });

  test("an edit outside the stated scope is a question; yes widens the scope, no leaves the edit out", () => {
    const req = {
      title: "t",
      scope: { include: ["src/**"] },
      edits: [modify("src/a.ts"), modify("tests/a.test.ts")],
    };
    const asked = stubEngineer(engineerInput(req));
    expect(asked.open_questions).toEqual([
      "Edit 2 (modify tests/a.test.ts) is outside the scope (src/**): change it anyway?",
    ]);
    const q = asked.open_questions[0]!;
    const yes = stubEngineer(engineerInput(req, { answers: [{ question: q, answer: "yes, the test too" }] }));
    expect(yes.open_questions).toEqual([]);
    expect(yes.include).toContain("tests/a.test.ts");
    expect(yes.assumptions).toEqual([`${q} -> yes, the test too`]);
    const no = stubEngineer(engineerInput(req, { answers: [{ question: q, answer: "No." }] }));
    expect(no.exclude).toContain("tests/a.test.ts");
    const assumed = stubEngineer(engineerInput(req, { assume: true }));
    expect(assumed.open_questions).toEqual([]);
    expect(assumed.assumptions).toEqual([`Assumed yes: ${q}`]);
  });

  test("an edit to an excluded path is a question, and yes lifts the exclusion", () => {
    const req = {
      title: "t",
      scope: { include: ["src/**"], exclude: ["src/gen/**"] },
      edits: [modify("src/gen/x.ts")],
    };
    const q = stubEngineer(engineerInput(req)).open_questions[0]!;
    expect(q).toContain("excluded by the scope (src/gen/**)");
    const yes = stubEngineer(engineerInput(req, { answers: [{ question: q, answer: "go ahead" }] }));
    expect(yes.exclude).toEqual([]);
  });
});

describe("stub orchestrator helpers", () => {
  test("a module and its tests share a stem", () => {
    expect(stemOf("src/math.ts")).toBe("math");
    expect(stemOf("tests/math.test.ts")).toBe("math");
    expect(stemOf(".env")).toBe(".env");
  });

  test("relative imports that exist become context", () => {
    const text = `import { a } from "./a.ts";\nimport b from "../lib/b";\nimport x from "zod";\nconst c = await import("./c.ts");`;
    const known = new Set(["src/a.ts", "lib/b.ts"]);
    expect(localImports("src/x.ts", text, (p) => known.has(p))).toEqual(["src/a.ts", "lib/b.ts"]);
  });
});

describe("stub developer", () => {
  const task = (edits: Edit[], owned: string[]) =>
    DeveloperTask.parse({
      id: "t1",
      request_id: "r",
      title: "do it",
      owned_paths: owned,
      estimated_tokens: 1,
      edits,
    });

  test("proposes whole contents: writes, deletes, and a rename kept as one move", () => {
    const out = stubDeveloper({
      task: task(
        [
          { op: "rename", path: "a.ts", new_path: "b.ts" },
          { op: "rename", path: "b.ts", new_path: "c.ts" },
          { op: "modify", path: "d.ts", replace: [{ find: "old", replace: "new", all: false }] },
          { op: "delete", path: "e.ts" },
          { op: "create", path: "f.ts", content: "fresh" },
        ],
        ["a.ts", "b.ts", "c.ts", "d.ts", "e.ts", "f.ts"],
      ),
      files: { "a.ts": "A", "b.ts": null, "c.ts": null, "d.ts": "old text", "e.ts": "E", "f.ts": null },
    });
    expect(out.files).toEqual([
      { op: "rename", path: "a.ts", new_path: "c.ts" },
      { op: "write", path: "d.ts", content: "new text" },
      { op: "delete", path: "e.ts" },
      { op: "write", path: "f.ts", content: "fresh" },
    ]);
  });

  test("a rename with new content carries it; a task without edits proposes nothing", () => {
    const moved = stubDeveloper({
      task: task([{ op: "rename", path: "a.ts", new_path: "b.ts", content: "B" }], ["a.ts", "b.ts"]),
      files: { "a.ts": "A", "b.ts": null },
    });
    expect(moved.files).toEqual([{ op: "rename", path: "a.ts", new_path: "b.ts", content: "B" }]);
    expect(stubDeveloper({ task: task([], ["a.ts"]), files: { "a.ts": "A" } }).files).toEqual([]);
  });
});
