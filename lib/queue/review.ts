import { HyperionError } from "../errors.ts";
import type { ChangeStatus } from "../store/queue/rows.ts";
import type { QueueContext } from "./_context.ts";
import { failDependents, placeHeld } from "./_stack.ts";
import { notFound } from "./outcome.ts";

/** The transitions a person drives: approve or reject a held change, record a rollback. */
export const makeReview = (ctx: QueueContext) => {
  const { sql } = ctx;

  const move = (id: string, from: readonly ChangeStatus[], to: ChangeStatus, event: string, data: object) => {
    const now = ctx.now();
    const row = sql.byId(id) as { status: ChangeStatus; seq: number } | null;
    if (!row) throw notFound(ctx.db, id);
    if (!from.includes(row.status)) {
      throw new HyperionError(
        "E_BAD_STATUS",
        `${id} is ${row.status}; it must be ${from.join(" or ")} to be ${to}`,
        {
          details: { id, status: row.status, expected: from },
        },
      );
    }
    const finished = to !== "queued";
    let seq: number | null = null;
    if (to === "queued" && !sql.holdsPlace(row.seq)) {
      // Held changes it is stacked on take their place in line first, so it waits behind them.
      for (const p of sql.heldPredecessors(row.seq)) placeHeld(ctx, p);
      // Entering the line joins it at the back: a new seq first, then the status (triggers do the
      // rest). A held change that holds its place (changes stacked on it wait behind) keeps it.
      seq = sql.renumber(id);
    }
    sql.setStatus(id, row.status, to, now, finished ? { finished } : { availableAt: now });
    ctx.event(id, event, { ...data, ...(seq === null ? {} : { seq }) });
    // What was stacked on a change that will never apply (or was undone) can never apply either.
    if (to === "rejected" || to === "rolled_back") failDependents(ctx, id, to.replace("_", " "));
  };

  return {
    approve: ctx.tx((id: string, actor?: string) =>
      move(id, ["awaiting_approval"], "queued", "approved", { actor: actor ?? null }),
    ),
    reject: ctx.tx((id: string, reason?: string, actor?: string) =>
      move(id, ["awaiting_approval", "queued"], "rejected", "rejected", {
        reason: reason ?? null,
        actor: actor ?? null,
      }),
    ),
    markRolledBack: ctx.tx((id: string, data: object = {}) =>
      move(id, ["applied"], "rolled_back", "rolled_back", data),
    ),
  };
};
