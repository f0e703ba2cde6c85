import type { Database } from "bun:sqlite";
import { usageError } from "../errors.ts";
import type { Answers, ChangeRequest, EnqueuedChange, Fallback, RequestResult } from "../schema/index.ts";
import { requestsSql, writeTx } from "../store/index.ts";
import type { Plan } from "./pipeline.ts";
import { resultOf, statusOf } from "./result.ts";

/**
 * Puts change requests into the queue inside the caller's transaction and reports what it stored;
 * throws (rolling everything back) when any is refused. The command wires it to the one submit
 * path every change takes (validation against the tree, ownership from the tasks rows, signing).
 */
export type Enqueue = (crs: ChangeRequest[], opts: { priority: number }) => EnqueuedChange[];

const reasonOf = (fallbacks: readonly Fallback[]): string | null =>
  fallbacks.length === 0
    ? null
    : fallbacks
        .map(
          (f) =>
            `${f.role}${f.task_id ? ` ${f.task_id}` : ""} (${f.agent}): ${f.reason}` +
            (f.raw_output === undefined ? "" : `; its output was: ${JSON.stringify(f.raw_output)}`),
        )
        .join("; ");

const exists = (id: string) =>
  usageError(
    "E_REQUEST_EXISTS",
    `request id ${id} is already used`,
    "leave `id` out to have one assigned, or choose a new one",
  );

/**
 * Records a plan in one transaction: the request row (new, or moved on after answers), its tasks,
 * and its change requests in the queue. Any failure rolls all of it back, so a request never
 * lands half-planned.
 */
export const recordPlan = (
  db: Database,
  plan: Plan,
  opts: { existing: boolean; answers: Answers | null; enqueue: Enqueue },
): RequestResult => {
  const sql = requestsSql(db);
  const status = statusOf(plan);
  const { request, brief } = plan;
  const fallbackReason = reasonOf(plan.fallbacks);
  const write = (): EnqueuedChange[] => {
    const now = Date.now();
    const row = {
      id: request.id,
      kind: brief.kind,
      risk: brief.risk,
      status,
      brief: JSON.stringify(brief),
      answers: opts.answers ? JSON.stringify(opts.answers) : null,
      agent: plan.agent,
      fallback: plan.fallbacks.length > 0 ? 1 : 0,
      fallback_reason: fallbackReason,
    };
    if (opts.existing) {
      const current = sql.getRequest(request.id);
      if (current?.status !== "needs_clarification") {
        throw usageError(
          "E_REQUEST_STATE",
          `request ${request.id} is ${current?.status ?? "gone"}, not waiting for answers`,
        );
      }
      sql.updateRequest({ ...row, updated_at: now });
    } else {
      if (sql.hasRequest(request.id)) throw exists(request.id);
      sql.insertRequest({
        ...row,
        title: request.title,
        priority: request.priority,
        payload: JSON.stringify(request),
        created_at: now,
      });
    }
    if (plan.needsClarification) return [];
    for (const t of plan.tasks) {
      sql.insertTask({
        id: t.task.id,
        request_id: request.id,
        title: t.task.title,
        status: t.change ? "enqueued" : "no_changes",
        owned_paths: JSON.stringify(t.task.owned_paths),
        context_paths: JSON.stringify(t.task.context_paths),
        estimated_tokens: t.task.estimated_tokens,
        payload: JSON.stringify(t.task),
        agent: t.agent,
        fallback: t.fallback ? 1 : 0,
        fallback_reason: reasonOf(t.fallback ? [t.fallback] : []),
        change_id: null,
        created_at: now,
      });
    }
    const crs = plan.tasks.flatMap((t) => (t.change ? [t.change] : []));
    const enqueued = crs.length > 0 ? opts.enqueue(crs, { priority: request.priority }) : [];
    for (const e of enqueued) if (e.id) sql.setTaskChange(e.task_id, e.id, now);
    return enqueued;
  };
  try {
    return resultOf(plan, writeTx(db, write), false);
  } catch (e) {
    // Two processes filing one id at once: the loser's insert hits the primary key.
    if ((e as { code?: string }).code === "SQLITE_CONSTRAINT_PRIMARYKEY" && !opts.existing)
      throw exists(request.id);
    throw e;
  }
};
