import type { Database } from "bun:sqlite";
import { requestsSql } from "../lib/store/requests-sql.ts";

/**
 * Records a request the stub agent planned, as `hyperion request` records one: the request, then
 * each task owning its paths, with its quick checks when it has any.
 */
export const recordPlanned = (
  db: Database,
  request: { id: string; title: string },
  tasks: { id: string; owned: string[]; checks?: string[] }[],
): void => {
  const sql = requestsSql(db);
  const now = Date.now();
  sql.insertRequest({
    ...request,
    kind: "feature",
    risk: "low",
    status: "enqueued",
    priority: 0,
    payload: "{}",
    brief: "{}",
    answers: null,
    agent: "stub",
    fallback: 0,
    fallback_reason: null,
    created_at: now,
  });
  for (const t of tasks) {
    sql.insertTask({
      id: t.id,
      request_id: request.id,
      title: t.id,
      status: "enqueued",
      owned_paths: JSON.stringify(t.owned),
      context_paths: "[]",
      estimated_tokens: 0,
      payload: t.checks ? JSON.stringify({ checks: t.checks }) : "{}",
      agent: "stub",
      fallback: 0,
      fallback_reason: null,
      change_id: null,
      created_at: now,
    });
  }
};
