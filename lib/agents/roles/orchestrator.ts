import { isHyperionError } from "../../errors.ts";
import { checkPath } from "../../patch/index.ts";
import { type DeveloperTask, type Edit, OrchestratorOutput, type ScopeBrief } from "../../schema/index.ts";
import { type AgentContext, turnOptions } from "../context.ts";
import { quickChecks } from "../plan/checks.ts";
import { applyPolicy } from "../plan/policy.ts";
import { listRepoFiles, matchesAny, repoFileExists, repoFileSize } from "../repo-files.ts";
import { runTurn, type TurnOutcome } from "../turn.ts";

/** Most files listed in the Orchestrator's prompt; beyond that it works from the globs. */
const MAX_LISTED = 2_000;

export const inScope = (path: string, brief: Pick<ScopeBrief, "include" | "exclude">): boolean =>
  matchesAny(path, brief.include) && !matchesAny(path, brief.exclude);

const unsafe = (path: string): string | null => {
  try {
    checkPath(path);
    return null;
  } catch (e) {
    if (isHyperionError(e)) return e.message;
    throw e;
  }
};

/** The Orchestrator's contract for this brief: paths must be safe, and owned paths in scope. */
const contractFor = (brief: ScopeBrief) =>
  OrchestratorOutput.superRefine((out, ctx) => {
    out.tasks.forEach((t, i) => {
      t.owned_paths.forEach((p, j) => {
        const why = unsafe(p) ?? (inScope(p, brief) ? null : `'${p}' is outside the brief's scope`);
        if (why) ctx.addIssue({ code: "custom", path: ["tasks", i, "owned_paths", j], message: why });
      });
      t.context_paths.forEach((p, j) => {
        const why = unsafe(p);
        if (why) ctx.addIssue({ code: "custom", path: ["tasks", i, "context_paths", j], message: why });
      });
    });
  });

/**
 * The Orchestrator's turn, then Hyperion's policy over what it proposed: disjoint owned paths,
 * every edit owned, each task within the model limits (docs/AGENTS.md).
 */
export const runOrchestrator = async (
  ctx: AgentContext,
  brief: ScopeBrief,
  edits: Edit[],
): Promise<{ tasks: DeveloperTask[]; turn: TurnOutcome<OrchestratorOutput> }> => {
  const limits = ctx.config.orchestrator;
  const files = listRepoFiles(ctx.repo)
    .filter((p) => inScope(p, brief))
    .slice(0, MAX_LISTED)
    .map((path) => ({ path, bytes: repoFileSize(ctx.repo, path) }));
  const turn = await runTurn(
    { role: "orchestrator", input: { brief, edits, files, limits } },
    { ...turnOptions(ctx), contract: contractFor(brief) },
  );
  const tasks = applyPolicy({
    requestId: brief.request_id,
    proposed: turn.output.tasks,
    edits,
    limits,
    size: (p) => repoFileSize(ctx.repo, p),
    exists: (p) => repoFileExists(ctx.repo, p),
  }).map((t) => ({ ...t, checks: ctx.plan ? quickChecks(t.owned_paths, ctx.plan) : [] }));
  return { tasks, turn };
};
