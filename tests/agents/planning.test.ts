import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { fileRequest, planRequest, renameUnits } from "../../lib/agents/index.ts";
import type { HyperionError } from "../../lib/errors.ts";
import { type Edit, OrchestratorConfig, TaskRequest } from "../../lib/schema/index.ts";
import { contextFor, repoFixture } from "./_repo.ts";

// A repository of twenty modules of very different sizes, some with tests, some importing others.
const N = 20;
const moduleText = (i: number) =>
  `${i > 0 ? `import { v${i - 1} } from "./mod${i - 1}.ts";\n` : ""}export const v${i} = ${i};\n// ${"x".repeat((i * 977) % 4_000)}\n`;
const FILES: Record<string, string> = {};
for (let i = 0; i < N; i++) FILES[`src/mod${i}.ts`] = moduleText(i);
for (let i = 0; i < N; i += 3)
  FILES[`tests/mod${i}.test.ts`] = `import { v${i} } from "../src/mod${i}.ts";\n`;
const EXISTING = Object.keys(FILES);

let fx: Awaited<ReturnType<typeof repoFixture>>;
beforeAll(async () => {
  fx = await repoFixture(FILES);
});
afterAll(async () => {
  await fx[Symbol.asyncDispose]();
});

/** Valid requests: each existing file is touched at most once; renames and creates use fresh names. */
const arbRequest = fc
  .record({
    touched: fc.subarray(EXISTING, { minLength: 1, maxLength: 12 }),
    ops: fc.array(fc.constantFrom("modify", "delete", "rename"), { minLength: 12, maxLength: 12 }),
    creates: fc.integer({ min: 0, max: 3 }),
    text: fc.string({ maxLength: 300 }),
  })
  .map(({ touched, ops, creates, text }): Edit[] => [
    ...touched.map((path, i): Edit => {
      const op = ops[i]!;
      if (op === "delete") return { op, path };
      if (op === "rename") return { op, path, new_path: path.replace(/\.ts$/, ".moved.ts") };
      return { op: "modify", path, content: `${FILES[path]}${text}// changed\n` };
    }),
    ...Array.from(
      { length: creates },
      (_, k): Edit => ({ op: "create", path: `src/fresh${k}.ts`, content: text }),
    ),
  ]);

const arbLimits = fc
  .record({
    context_window: fc.integer({ min: 4_000, max: 20_000 }),
    max_files_per_task: fc.integer({ min: 1, max: 5 }),
    max_context_files: fc.integer({ min: 0, max: 3 }),
    chars_per_token: fc.integer({ min: 1, max: 4 }),
    prompt_overhead_tokens: fc.integer({ min: 0, max: 800 }),
  })
  .map((l) =>
    OrchestratorConfig.parse({ ...l, max_tokens_per_task: Math.max(500, Math.floor(l.context_window / 2)) }),
  );

describe("planning over generated requests (stub agents, real files)", () => {
  test("tasks own disjoint files, every change stays inside its task, and each task fits the model limits", async () => {
    const outcomes = { refused: 0, planned: 0 };
    await fc.assert(
      fc.asyncProperty(arbRequest, arbLimits, async (edits, limits) => {
        const request = fileRequest({ ...TaskRequest.parse({ title: "generated", edits }), id: "r-gen" });
        const ctx = { ...contextFor(fx.repo), config: { ...fx.repo.config, orchestrator: limits } };
        let plan: Awaited<ReturnType<typeof planRequest>>;
        try {
          plan = await planRequest(ctx, request);
        } catch (e) {
          // Only a single file (with its rename) beyond the context window may stop a plan.
          expect((e as HyperionError).code).toBe("E_TASK_TOO_LARGE");
          outcomes.refused++;
          return;
        }
        outcomes.planned++;
        expect(plan.needsClarification).toBe(false);
        const owned = plan.tasks.flatMap((t) => t.task.owned_paths);
        expect(new Set(owned).size).toBe(owned.length);
        const editPaths = new Set(
          edits.flatMap((e) => (e.op === "rename" ? [e.path, e.new_path] : [e.path])),
        );
        expect(new Set(owned)).toEqual(editPaths);
        for (const { task, change } of plan.tasks) {
          expect(change).not.toBeNull();
          for (const c of change!.changes) {
            expect(task.owned_paths).toContain(c.path);
            if (c.new_path) expect(task.owned_paths).toContain(c.new_path);
          }
          const units = renameUnits(task.owned_paths, task.edits).length;
          expect(units).toBeLessThanOrEqual(limits.max_files_per_task);
          expect(task.estimated_tokens <= limits.max_tokens_per_task || units === 1).toBe(true);
          expect(task.estimated_tokens).toBeLessThanOrEqual(limits.context_window);
          expect(task.context_paths.length).toBeLessThanOrEqual(limits.max_context_files);
          for (const c of task.context_paths) expect(task.owned_paths).not.toContain(c);
        }
        // Every edit reached exactly one developer.
        expect(plan.tasks.reduce((n, t) => n + t.task.edits.length, 0)).toBe(edits.length);
      }),
      { numRuns: 60 },
    );
    // Most generated requests fit, so the checks above ran on real plans.
    expect(outcomes.planned).toBeGreaterThan(30);
  });
});
