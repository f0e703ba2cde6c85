import type { EnqueuedChange, RequestResult, RequestStatus } from "../schema/index.ts";
import type { Plan } from "./pipeline.ts";

/** Where a plan leaves its request once recorded. */
export const statusOf = (plan: Plan): Exclude<RequestStatus, "planned"> =>
  plan.needsClarification
    ? "needs_clarification"
    : plan.tasks.some((t) => t.change)
      ? "enqueued"
      : "no_changes";

/** The report `request` and `answer` print; `dryRun` shows the plan with nothing queued. */
export const resultOf = (plan: Plan, changes: EnqueuedChange[], dryRun: boolean): RequestResult => {
  const status = dryRun && !plan.needsClarification ? "planned" : statusOf(plan);
  return {
    request_id: plan.request.id,
    status,
    dry_run: dryRun,
    kind: plan.brief.kind,
    risk: plan.brief.risk,
    agent: plan.agent,
    fallback: plan.fallbacks.length > 0,
    fallbacks: plan.fallbacks,
    questions: plan.brief.open_questions,
    assumptions: plan.brief.assumptions,
    tasks: plan.tasks.map((t) => ({
      id: t.task.id,
      title: t.task.title,
      status: dryRun ? "planned" : t.change ? "enqueued" : "no_changes",
      owned_paths: t.task.owned_paths,
      context_paths: t.task.context_paths,
      estimated_tokens: t.task.estimated_tokens,
      agent: t.agent,
      fallback: t.fallback !== undefined,
    })),
    change_requests: dryRun
      ? plan.tasks.flatMap((t) =>
          t.change
            ? [
                {
                  id: null,
                  task_id: t.task.id,
                  paths: [
                    ...new Set(
                      t.change.changes.flatMap((c) => (c.new_path ? [c.path, c.new_path] : [c.path])),
                    ),
                  ],
                  status: "planned",
                },
              ]
            : [],
        )
      : changes,
  };
};
