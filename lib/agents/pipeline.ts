import { mapLimited } from "../map-limited.ts";
import type { ChangeRequest, DeveloperTask, Edit, Fallback, ScopeBrief } from "../schema/index.ts";
import type { AgentTurn } from "../store/requests-sql.ts";
import type { AgentContext } from "./context.ts";
import { applyEdits, editPaths } from "./edits.ts";
import { listRepoFiles, readRepoFile } from "./repo-files.ts";
import type { FiledRequest } from "./request.ts";
import { checkRequest } from "./request.ts";
import { runDeveloper } from "./roles/developer.ts";
import { runEngineer } from "./roles/engineer.ts";
import { inScope, runOrchestrator } from "./roles/orchestrator.ts";

/** Most files listed in the Engineer's prompt. */
const MAX_LISTED = 2_000;

export type PlannedTask = {
  task: DeveloperTask;
  /** Who produced the change: the harness, or the stub after a fallback. */
  agent: string;
  fallback?: Fallback;
  /** The change request Hyperion computed; null when the task changes nothing. */
  change: ChangeRequest | null;
};

export type Plan = {
  request: FiledRequest;
  brief: ScopeBrief;
  /** The harness asked to run the turns. */
  agent: string;
  /** Every turn whose output failed its contract and was replaced by the stub's. */
  fallbacks: Fallback[];
  /** True while the brief has open questions: nothing is planned yet. */
  needsClarification: boolean;
  tasks: PlannedTask[];
};

export type PlanOptions = {
  /** A person's answers so far, keyed by question text. */
  answers?: Record<string, string>;
  /** `--yes`: proceed on the Engineer's assumptions instead of asking. */
  assume?: boolean;
  /** Told as each turn starts and ends (the command records it, so the dashboard follows live). */
  onTurn?: (t: AgentTurn) => void;
};

/**
 * Engineer -> Orchestrator -> Developers, entirely in memory: nothing is written here, so a
 * request either lands whole (lib/agents/record.ts, one transaction) or not at all.
 */
export const planRequest = async (
  ctx: AgentContext,
  request: FiledRequest,
  opts: PlanOptions = {},
): Promise<Plan> => {
  checkRequest(request, ctx.repo);
  /** Runs one turn, telling onTurn when it starts and how it ended. */
  const traced = async <R extends { turn: { agent: string; fallback?: Fallback } }>(
    role: AgentTurn["role"],
    task: DeveloperTask | null,
    fn: () => Promise<R>,
  ): Promise<R> => {
    const note = (state: AgentTurn["state"], agent: string) =>
      opts.onTurn?.({
        request_id: request.id,
        role,
        task_id: task?.id ?? null,
        agent,
        state,
        detail: task ? { owned_paths: task.owned_paths } : { title: request.title },
        ts: Date.now(),
      });
    note("running", ctx.harness.name);
    try {
      const r = await fn();
      note(r.turn.fallback ? "fallback" : "done", r.turn.agent);
      return r;
    } catch (e) {
      note("failed", ctx.harness.name);
      throw e;
    }
  };
  const answers = Object.entries(opts.answers ?? {}).map(([question, answer]) => ({ question, answer }));
  const { brief, turn: engineer } = await traced("engineer", null, () =>
    runEngineer(ctx, {
      request,
      answers,
      assume: opts.assume ?? false,
      files: listRepoFiles(ctx.repo).slice(0, MAX_LISTED),
    }),
  );
  const plan: Plan = {
    request,
    brief,
    agent: ctx.harness.name,
    fallbacks: engineer.fallback ? [engineer.fallback] : [],
    needsClarification: brief.open_questions.length > 0,
    tasks: [],
  };
  if (plan.needsClarification) return plan;

  const edits: Edit[] = [];
  request.edits.forEach((e, i) => {
    if (editPaths(e).every((p) => inScope(p, brief))) edits.push(e);
    else brief.assumptions.push(`Left out of scope: edit ${i + 1} (${e.op} ${editPaths(e).join(" -> ")})`);
  });
  // What is left must still play in order (a dropped create may have been what a modify needed).
  if (edits.length !== request.edits.length) applyEdits(edits, (p) => readRepoFile(ctx.repo, p));

  const { tasks, turn: orchestrator } = await traced("orchestrator", null, () =>
    runOrchestrator(ctx, brief, edits),
  );
  if (orchestrator.fallback) plan.fallbacks.push(orchestrator.fallback);
  const results = await mapLimited(tasks, ctx.config.agents.max_concurrent_agents, (t) =>
    traced("developer", t, () => runDeveloper(ctx, t)),
  );
  results.forEach((r, i) => {
    if (r.turn.fallback) plan.fallbacks.push(r.turn.fallback);
    plan.tasks.push({ task: tasks[i]!, agent: r.turn.agent, fallback: r.turn.fallback, change: r.change });
  });
  return plan;
};
