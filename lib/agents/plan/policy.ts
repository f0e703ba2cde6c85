import { usageError } from "../../errors.ts";
import { DeveloperTask, type Edit, type OrchestratorConfig, type ProposedTask } from "../../schema/index.ts";
import { editPaths } from "../edits.ts";
import { renameUnits, unionFind } from "../units.ts";
import { editBytes, estimateTokens } from "./tokens.ts";

export type PolicyInput = {
  requestId: string;
  /** What the Orchestrator proposed (any agent's output, already parsed). */
  proposed: readonly ProposedTask[];
  /** The request's edits in scope; each path an edit touches ends up owned by exactly one task. */
  edits: readonly Edit[];
  limits: OrchestratorConfig;
  /** Current size in bytes of a repository file (0 when absent). */
  size: (path: string) => number;
  /** Whether a file exists, for context files. */
  exists: (path: string) => boolean;
};

type Unit = { paths: string[]; bytes: number };

const shorten = (s: string, n = 200) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/**
 * The Orchestrator's policy, applied to whatever an orchestrator proposed:
 * - tasks that would share a file are merged, and both ends of a rename stay in one task, so owned
 *   paths are disjoint;
 * - a path an edit touches that no task owns gets a task of its own;
 * - a task over max_files_per_task or max_tokens_per_task is split, a unit (a file, or a renamed
 *   file with its new name) at a time; one unit alone may reach context_window, beyond that the
 *   request is refused (E_TASK_TOO_LARGE);
 * - context files are added in the order proposed while the task stays within the limits.
 */
export const applyPolicy = (input: PolicyInput): DeveloperTask[] => {
  const { limits, edits } = input;
  const proposed: ProposedTask[] = input.proposed.map((t) => ({
    ...t,
    owned_paths: [...new Set(t.owned_paths)],
  }));
  const ownedAnywhere = new Set(proposed.flatMap((t) => t.owned_paths));
  for (const unit of renameUnits([], edits)) {
    const orphans = unit.filter((p) => !ownedAnywhere.has(p));
    if (orphans.length === 0) continue;
    proposed.push({
      title: `change ${orphans.join(", ")}`,
      instructions: "",
      owned_paths: orphans,
      context_paths: [],
    });
    for (const p of orphans) ownedAnywhere.add(p);
  }

  // Merge: tasks are joined through any path they share, and through renames.
  const uf = unionFind();
  proposed.forEach((t, i) => {
    for (const p of t.owned_paths) uf.union(`task:${i}`, `path:${p}`);
  });
  for (const e of edits) if (e.op === "rename") uf.union(`path:${e.path}`, `path:${e.new_path}`);
  const groups = new Map<string, number[]>();
  proposed.forEach((_, i) => {
    const root = uf.find(`task:${i}`);
    groups.set(root, [...(groups.get(root) ?? []), i]);
  });

  const bytesOfPath = (p: string) =>
    input.size(p) + edits.filter((e) => editPaths(e)[0] === p).reduce((n, e) => n + editBytes(e), 0);
  const tokens = (bytes: number) => estimateTokens(bytes, limits);

  const tasks: DeveloperTask[] = [];
  for (const members of groups.values()) {
    const group = members.map((i) => proposed[i]!);
    const owned = [...new Set(group.flatMap((t) => t.owned_paths))];
    const units: Unit[] = renameUnits(
      owned,
      edits.filter((e) => editPaths(e).some((p) => owned.includes(p))),
    ).map((paths) => ({ paths, bytes: paths.reduce((n, p) => n + bytesOfPath(p), 0) }));

    // Split: pack units in order while both limits hold.
    const chunks: Unit[][] = [];
    let chunk: Unit[] = [];
    let chunkBytes = 0;
    for (const unit of units) {
      if (tokens(unit.bytes) > limits.context_window) {
        throw usageError(
          "E_TASK_TOO_LARGE",
          `${unit.paths.join(", ")} needs about ${tokens(unit.bytes)} tokens, more than the context window (${limits.context_window})`,
          "raise orchestrator.context_window in .hyperion/config.json, or change the file in smaller requests",
        );
      }
      const fits =
        chunk.length < limits.max_files_per_task &&
        tokens(chunkBytes + unit.bytes) <= limits.max_tokens_per_task;
      if (chunk.length > 0 && !fits) {
        chunks.push(chunk);
        chunk = [];
        chunkBytes = 0;
      }
      chunk.push(unit);
      chunkBytes += unit.bytes;
    }
    if (chunk.length > 0) chunks.push(chunk);

    const title = [...new Set(group.map((t) => t.title))].join(" + ");
    const instructions = [...new Set(group.map((t) => t.instructions).filter(Boolean))]
      .join("\n\n")
      .slice(0, 50_000);
    const proposedContext = [...new Set(group.flatMap((t) => t.context_paths))];
    chunks.forEach((parts, k) => {
      const ownedPaths = parts.flatMap((u) => u.paths);
      const ownedSet = new Set(ownedPaths);
      let bytes = parts.reduce((n, u) => n + u.bytes, 0);
      const context: string[] = [];
      for (const c of proposedContext) {
        if (context.length >= limits.max_context_files) break;
        if (ownedSet.has(c) || !input.exists(c)) continue;
        const more = input.size(c);
        if (tokens(bytes + more) > limits.max_tokens_per_task) continue;
        context.push(c);
        bytes += more;
      }
      tasks.push(
        DeveloperTask.parse({
          id: `${input.requestId}-t${tasks.length + 1}`,
          request_id: input.requestId,
          title: chunks.length > 1 ? `${shorten(title, 180)} (${k + 1}/${chunks.length})` : shorten(title),
          instructions,
          owned_paths: ownedPaths,
          context_paths: context,
          estimated_tokens: tokens(bytes),
          edits: edits.filter((e) => ownedSet.has(editPaths(e)[0]!)),
        }),
      );
    });
  }
  return tasks;
};
