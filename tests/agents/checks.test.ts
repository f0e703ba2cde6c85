import { describe, expect, test } from "bun:test";
import { quickChecks } from "../../lib/agents/plan/checks.ts";

describe("quickChecks", () => {
  const plan = {
    commands: ["bun test", "bun test tests/math.test.ts", "bun test tests/greet.test.ts", "bun run lint"],
    validation: ["bun test"],
  };

  test("names the plan's commands for the task's files, never the whole suite", () => {
    expect(quickChecks(["src/math.ts"], plan)).toEqual(["bun test tests/math.test.ts"]);
    expect(quickChecks(["src/math.ts", "src/greet.ts"], plan)).toEqual([
      "bun test tests/math.test.ts",
      "bun test tests/greet.test.ts",
    ]);
  });

  test("a task with no command near its files has no quick check", () => {
    expect(quickChecks(["README.md"], plan)).toEqual([]);
    expect(quickChecks(["src/math.ts"], { commands: [], validation: [] })).toEqual([]);
  });
});
