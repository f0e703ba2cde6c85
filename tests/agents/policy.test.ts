import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { applyPolicy, renameUnits } from "../../lib/agents/index.ts";
import { HyperionError } from "../../lib/errors.ts";
import { type Edit, OrchestratorConfig, type ProposedTask } from "../../lib/schema/index.ts";

const limits = (o: Partial<OrchestratorConfig> = {}) => OrchestratorConfig.parse(o);

/** Twelve existing files and four that do not exist yet. */
const EXISTING = Array.from({ length: 12 }, (_, i) => `src/m${i}.ts`);
const NEW = Array.from({ length: 4 }, (_, i) => `src/new${i}.ts`);
const POOL = [...EXISTING, ...NEW];

const arbLimits = fc
  .record({
    context_window: fc.integer({ min: 1_000, max: 40_000 }),
    ratio: fc.double({ min: 0.05, max: 1, noNaN: true }),
    max_files_per_task: fc.integer({ min: 1, max: 6 }),
    max_context_files: fc.integer({ min: 0, max: 4 }),
    chars_per_token: fc.integer({ min: 1, max: 8 }),
    prompt_overhead_tokens: fc.integer({ min: 0, max: 600 }),
  })
  .map(({ ratio, ...l }) =>
    limits({
      ...l,
      max_tokens_per_task: Math.max(500, Math.min(l.context_window, Math.floor(l.context_window * ratio))),
    }),
  );

// Mostly small files, now and then one that needs a split or exceeds the context window.
const arbSizes = fc.tuple(
  ...EXISTING.map(() =>
    fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 1, max: 6_000 }) },
      fc.integer({ min: 1, max: 200_000 }),
    ),
  ),
);

const arbProposed = fc.array(
  fc.record({
    title: fc.constantFrom("a", "b", "c"),
    instructions: fc.constant(""),
    owned_paths: fc.subarray(POOL, { minLength: 1, maxLength: 6 }),
    context_paths: fc.subarray(POOL, { maxLength: 5 }),
  }),
  { maxLength: 6 },
);

const arbEdits = fc.array(
  fc.oneof(
    fc.record({
      op: fc.constant("modify" as const),
      path: fc.constantFrom(...EXISTING),
      content: fc.string({ maxLength: 400 }),
    }),
    fc.record({
      op: fc.constant("create" as const),
      path: fc.constantFrom(...NEW),
      content: fc.string({ maxLength: 400 }),
    }),
    fc.record({ op: fc.constant("delete" as const), path: fc.constantFrom(...EXISTING) }),
    fc.record({
      op: fc.constant("rename" as const),
      path: fc.constantFrom(...EXISTING),
      new_path: fc.constantFrom(...NEW),
    }),
  ),
  { maxLength: 6 },
);

const edited = (e: Edit) => (e.op === "rename" ? [e.path, e.new_path] : [e.path]);
const contentBytes = (e: Edit) => ("content" in e && e.content !== undefined ? e.content.length : 0);

describe("orchestrator policy (properties)", () => {
  test("owned paths are disjoint, cover every proposal and edit, and every task keeps within the limits", () => {
    const outcomes = { refused: 0, planned: 0 };
    fc.assert(
      fc.property(arbLimits, arbSizes, arbProposed, arbEdits, (lim, sizeList, proposed, edits) => {
        const sizes = new Map(EXISTING.map((p, i) => [p, sizeList[i]!]));
        const size = (p: string) => sizes.get(p) ?? 0;
        const tokens = (bytes: number) => lim.prompt_overhead_tokens + Math.ceil(bytes / lim.chars_per_token);
        const unitBytes = (unit: string[]) =>
          unit.reduce((n, p) => n + size(p), 0) +
          edits.filter((e) => unit.includes(e.path)).reduce((n, e) => n + contentBytes(e), 0);
        const all = [...new Set([...proposed.flatMap((t) => t.owned_paths), ...edits.flatMap(edited)])];
        const tooBig = renameUnits(all, edits).some((u) => tokens(unitBytes(u)) > lim.context_window);

        outcomes[tooBig ? "refused" : "planned"]++;
        let tasks: ReturnType<typeof applyPolicy>;
        try {
          tasks = applyPolicy({
            requestId: "r-1",
            proposed: proposed as ProposedTask[],
            edits,
            limits: lim,
            size,
            exists: (p) => sizes.has(p),
          });
        } catch (e) {
          expect(e).toBeInstanceOf(HyperionError);
          expect((e as HyperionError).code).toBe("E_TASK_TOO_LARGE");
          expect(tooBig).toBe(true);
          return;
        }
        expect(tooBig).toBe(false);

        // Disjoint, and nothing lost or invented.
        const owned = tasks.flatMap((t) => t.owned_paths);
        expect(new Set(owned).size).toBe(owned.length);
        expect(new Set(owned)).toEqual(new Set(all));
        // Both ends of a rename in one task; each edit travels with the task owning its paths.
        const ownerOf = new Map(tasks.flatMap((t) => t.owned_paths.map((p) => [p, t.id] as const)));
        for (const e of edits.filter((x) => x.op === "rename"))
          expect(ownerOf.get(e.path)).toBe(ownerOf.get(e.new_path)!);
        expect(tasks.flatMap((t) => t.edits)).toHaveLength(edits.length);
        for (const t of tasks)
          for (const e of t.edits) for (const p of edited(e)) expect(t.owned_paths).toContain(p);
        // Paths one proposal shared stay in one task unless the limits forced a split.
        for (const t of tasks) {
          const units = renameUnits(t.owned_paths, t.edits).length;
          expect(units).toBeLessThanOrEqual(lim.max_files_per_task);
          const within = t.estimated_tokens <= lim.max_tokens_per_task;
          const loneBigFile =
            units === 1 && t.estimated_tokens <= lim.context_window && t.context_paths.length === 0;
          expect(within || loneBigFile).toBe(true);
          expect(t.context_paths.length).toBeLessThanOrEqual(lim.max_context_files);
          for (const c of t.context_paths) {
            expect(t.owned_paths).not.toContain(c);
            expect(sizes.has(c)).toBe(true);
          }
          // The estimate is what the task carries, computed the documented way.
          const bytes =
            t.owned_paths.reduce((n, p) => n + size(p), 0) +
            t.edits.reduce((n, e) => n + contentBytes(e), 0) +
            t.context_paths.reduce((n, p) => n + size(p), 0);
          expect(t.estimated_tokens).toBe(tokens(bytes));
        }
        expect(new Set(tasks.map((t) => t.id)).size).toBe(tasks.length);
        for (const t of tasks) expect(t.id).toMatch(/^r-1-t\d+$/);
      }),
      { numRuns: 300 },
    );
    // The generators reach both outcomes, so neither branch is vacuous.
    expect(outcomes.refused).toBeGreaterThan(0);
    expect(outcomes.planned).toBeGreaterThan(100);
  });
});

const task = (owned: string[], context: string[] = [], title = "t"): ProposedTask => ({
  title,
  instructions: "",
  owned_paths: owned,
  context_paths: context,
});
const plan = (
  proposed: ProposedTask[],
  edits: Edit[] = [],
  o: Partial<OrchestratorConfig> = {},
  size: (p: string) => number = () => 400,
) => applyPolicy({ requestId: "r", proposed, edits, limits: limits(o), size, exists: () => true });

describe("orchestrator policy (cases)", () => {
  test("tasks that would share a file are merged into one", () => {
    const tasks = plan([task(["a"], [], "one"), task(["b"], [], "two"), task(["b", "c"], [], "three")]);
    expect(tasks.map((t) => t.owned_paths)).toEqual([["a"], ["b", "c"]]);
    expect(tasks[1]!.title).toBe("two + three");
  });

  test("a task over max_files_per_task is split into parts", () => {
    const tasks = plan([task(["a", "b", "c", "d", "e"], [], "big")], [], { max_files_per_task: 2 });
    expect(tasks.map((t) => t.owned_paths)).toEqual([["a", "b"], ["c", "d"], ["e"]]);
    expect(tasks.map((t) => t.title)).toEqual(["big (1/3)", "big (2/3)", "big (3/3)"]);
  });

  test("a task over max_tokens_per_task is split; a renamed file counts once and never splits", () => {
    const tasks = plan(
      [task(["a", "b", "c"])],
      [{ op: "rename", path: "a", new_path: "a2" }],
      { max_tokens_per_task: 1_000, prompt_overhead_tokens: 500, chars_per_token: 1 },
      (p?: string) => (p === "a2" ? 0 : 400),
    );
    expect(tasks.map((t) => t.owned_paths)).toEqual([["a", "a2"], ["b"], ["c"]]);
    for (const t of tasks) expect(t.estimated_tokens).toBeLessThanOrEqual(1_000);
  });

  test("a path an edit touches that no task owns gets a task of its own", () => {
    const tasks = plan([task(["a"])], [{ op: "delete", path: "z" }]);
    expect(tasks.map((t) => t.owned_paths)).toEqual([["a"], ["z"]]);
    expect(tasks[1]!.edits).toEqual([{ op: "delete", path: "z" }]);
  });

  test("context files are kept while the task stays within its token budget", () => {
    const sizes: Record<string, number> = { a: 100, big: 5_000, small: 100 };
    const tasks = plan(
      [task(["a"], ["big", "small", "a"])],
      [],
      { max_tokens_per_task: 600, prompt_overhead_tokens: 400, chars_per_token: 1 },
      (p?: string) => sizes[p ?? ""] ?? 0,
    );
    expect(tasks[0]!.context_paths).toEqual(["small"]);
  });

  test("one file larger than the context window is refused with E_TASK_TOO_LARGE", () => {
    expect(() =>
      plan([task(["huge"])], [], { context_window: 1_000, max_tokens_per_task: 1_000 }, () => 1_000_000),
    ).toThrow(expect.objectContaining({ code: "E_TASK_TOO_LARGE", exitCode: 2 }));
  });
});
