import { basename, posix } from "node:path";
import type { OrchestratorOutput, ProposedTask } from "../../schema/index.ts";
import { editPaths } from "../edits.ts";
import type { OrchestratorInput } from "../harness.ts";
import { readRepoFile } from "../repo-files.ts";
import { renameUnits, unionFind } from "../units.ts";

/** `src/math.ts` and `tests/math.test.ts` share the stem `math`: a module and its tests go together. */
export const stemOf = (path: string): string => basename(path).split(".")[0] || basename(path);

const IMPORT = /(?:from\s+|import\s*\(\s*|require\s*\(\s*)["'](\.{1,2}\/[^"']+)["']/g;

/** Files a source file imports by relative path that exist in the repository. */
export const localImports = (path: string, text: string, exists: (p: string) => boolean): string[] => {
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const target = posix.normalize(posix.join(posix.dirname(path), m[1]!));
    for (const candidate of [target, `${target}.ts`, `${target}.tsx`, `${target}/index.ts`]) {
      if (exists(candidate)) {
        out.push(candidate);
        break;
      }
    }
  }
  return out;
};

/**
 * The deterministic Orchestrator: one task per group of edited files sharing a stem (a renamed
 * file keeps its old and new name together); context is what those files import. Hyperion's
 * policy then enforces disjointness and the model limits, as for any orchestrator.
 */
export const stubOrchestrator = (input: OrchestratorInput, repo: string): OrchestratorOutput => {
  const units = renameUnits([], input.edits);
  const byStem = unionFind();
  for (const unit of units)
    for (const p of unit) byStem.union(`stem:${stemOf(unit[0]!)}`, `stem:${stemOf(p)}`);
  const groups = new Map<string, string[]>();
  for (const unit of units) {
    const key = byStem.find(`stem:${stemOf(unit[0]!)}`);
    groups.set(key, [...(groups.get(key) ?? []), ...unit]);
  }
  const known = new Set(input.files.map((f) => f.path));
  const exists = (p: string) => {
    try {
      return known.has(p) || readRepoFile(repo, p) !== null;
    } catch {
      return false; // an import that leaves the repository is no context
    }
  };
  const tasks: ProposedTask[] = [];
  for (const owned of groups.values()) {
    const ownedSet = new Set(owned);
    const edits = input.edits.filter((e) => editPaths(e).some((p) => ownedSet.has(p)));
    const context = new Set<string>();
    for (const p of owned) {
      const created = edits.find((e) => e.op === "create" && e.path === p);
      const text = created?.op === "create" ? created.content : readRepoFile(repo, p);
      if (text === null) continue;
      for (const dep of localImports(p, text, exists)) if (!ownedSet.has(dep)) context.add(dep);
    }
    const verbs = [...new Set(edits.map((e) => e.op))].join("/");
    tasks.push({
      title: `${verbs} ${owned.join(", ")}`.slice(0, 200),
      instructions: `Apply the request's ${edits.length} edit(s) to ${owned.join(", ")} exactly as written.`,
      owned_paths: owned,
      context_paths: [...context],
    });
  }
  return { tasks };
};
