import { HyperionError } from "../errors.ts";
import { sha256Hex } from "../patch/hash.ts";
import { signPayload } from "../patch/sign.ts";
import type { ChangeRequest } from "../schema/index.ts";
import { PATH_STATE } from "../store/queue/rows.ts";
import type { QueueContext } from "./_context.ts";
import { newChangeId } from "./_ids.ts";
import { requestPaths } from "./_paths.ts";
import type { Enqueued, EnqueueOptions } from "./types.ts";

const duplicate = (id: string) =>
  new HyperionError("E_DUPLICATE_ID", `a change with id ${id} is already in the queue`, {
    hint: "leave `id` out to have one assigned, or choose a new one",
    details: { id },
  });

/**
 * Stores change requests (parsed by the caller at its boundary) in one transaction: the signed
 * payload, its paths, an `enqueued` event. A reused id refuses the whole batch.
 */
export const makeEnqueue = (ctx: QueueContext) => {
  const { sql } = ctx;
  const run = ctx.tx((crs: ChangeRequest[], opts: EnqueueOptions): Enqueued[] => {
    const now = ctx.now();
    const status = opts.status ?? "queued";
    const state = status === "queued" ? PATH_STATE.inLine : PATH_STATE.none;
    const seen = new Set<string>();
    const out: Enqueued[] = [];
    for (const cr of crs) {
      const given = cr.id;
      if (given !== undefined && (seen.has(given) || sql.idExists(given))) throw duplicate(given);
      const id = given ?? newChangeId(now);
      seen.add(id);
      const { id: _omit, ...rest } = cr;
      const payload = JSON.stringify({ id, ...rest });
      const seq = sql.insertChange({
        id,
        task_id: cr.task_id,
        request_id: cr.request_id ?? null,
        agent: cr.agent ?? null,
        summary: cr.summary ?? null,
        status,
        priority: opts.priority ?? 0,
        max_attempts: opts.maxAttempts ?? ctx.config.max_attempts,
        available_at: now,
        payload,
        payload_sha256: sha256Hex(payload),
        signature: signPayload(ctx.secret, payload),
        risk: opts.risk ?? "low",
        risk_score: opts.riskScore ?? 0,
        enqueued_at: now,
        updated_at: now,
      });
      const paths = requestPaths(cr);
      for (const p of paths) sql.insertPath(seq, p, state);
      ctx.event(id, "enqueued", { seq, task_id: cr.task_id, paths, status, priority: opts.priority ?? 0 });
      out.push({ id, seq, task_id: cr.task_id, status, paths });
    }
    return out;
  });
  return (crs: ChangeRequest | ChangeRequest[], opts: EnqueueOptions = {}): Enqueued[] => {
    const list = Array.isArray(crs) ? crs : [crs];
    try {
      return run(list, opts);
    } catch (e) {
      // Another writer stored the same id between our check and our insert.
      if ((e as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE") {
        throw duplicate(list.find((c) => c.id !== undefined && sql.idExists(c.id))?.id ?? "(unknown)");
      }
      throw e;
    }
  };
};
