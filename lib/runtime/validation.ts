import { HyperionError } from "../errors.ts";
// A type only: the module itself loads lazily (below).
import type { Workplan } from "../governance/workplan.ts";
import type { Leased, Queue } from "../queue/index.ts";
import { ChangeRequest } from "../schema/index.ts";
import type { Repo } from "../store/workspace.ts";
import type { Outcome } from "./outcome.ts";

// Loaded only by a worker that validates or commits: most workers never need it, and every
// worker thread loads its modules afresh when it starts.
export const governance = () => import("../governance/index.ts");

/** The paths a change touches (a rename: both), from its signed payload. */
export const changePaths = (payload: string): string[] =>
  ChangeRequest.parse(JSON.parse(payload)).changes.flatMap((c) =>
    c.new_path ? [c.path, c.new_path] : [c.path],
  );

/** Whether a change edits the plan file (WORKPLAN.md at the repository's root). */
export const touchesPlan = async (payload: string): Promise<boolean> =>
  changePaths(payload).includes((await governance()).PLAN_FILE);

/** What validation needs of the applier that runs it. */
export type ValidationDeps = {
  repo: Repo;
  queue: Queue;
  leaseMs: number;
  /** The lease's fencing check (a heartbeat). */
  fence: (leased: Leased) => () => boolean;
  finish: (leased: Leased, started: number, status: Outcome["status"], err?: HyperionError | null) => Outcome;
  /** Rolls the change back (fenced) and fails it, or releases it for a person. */
  undo: (leased: Leased, started: number, err: HyperionError, release: boolean) => Outcome;
};

/**
 * Validation after apply, under the approved plan: its commands run with the lease kept alive,
 * and may not change the tree. A failure rolls the change back. Null when it passed or nothing ran.
 */
export const makeValidation =
  ({ repo, queue, leaseMs, fence, finish, undo }: ValidationDeps) =>
  async (leased: Leased, started: number, before: Workplan | null): Promise<Outcome | null> => {
    const { approvedPlan, runValidation, guardTree } = await governance();
    let plan: ReturnType<typeof approvedPlan>;
    try {
      plan = approvedPlan(repo.loc.repo, repo.db);
    } catch (e) {
      if (!(e instanceof HyperionError)) throw e;
      // This change edits the plan (a person approved it: plan edits are high risk): it is
      // validated under the plan approved before it, and the new text waits for `plan approve`
      // before anything else is validated. Otherwise it would be undone and released forever.
      if (before && (await touchesPlan(leased.payload))) plan = before;
      // The plan changed under us: undo, give the change back untouched, and stop for a person.
      else return undo(leased, started, e, true);
    }
    if (!plan || (plan.metadata.validationPolicy?.commands.length ?? 0) === 0) return null;
    let lost = false;
    const heartbeat = setInterval(
      () => {
        try {
          if (!queue.heartbeat(leased.id, leased.token, leaseMs)) lost = true;
        } catch {
          // Busy for longer than busy_give_up_ms: the next beat tries again; the fence decides.
        }
      },
      Math.max(500, leaseMs / 3),
    );
    try {
      let result: Awaited<ReturnType<typeof runValidation>>;
      const guard = guardTree(repo.loc.repo, changePaths(leased.payload));
      try {
        result = await runValidation({ repo: repo.loc.repo, plan, governance: repo.config.governance });
      } catch (e) {
        // The validation could not start (a command the runner refuses...): never leave the
        // change leased with unvalidated content in the tree.
        const err =
          e instanceof HyperionError
            ? new HyperionError(
                e.code,
                `validation could not start: ${e.message}; the change was rolled back`,
                {
                  exitCode: 1,
                  hint: e.hint,
                },
              )
            : new HyperionError("E_VALIDATION", `validation could not start: ${String(e)}`, { exitCode: 1 });
        return undo(leased, started, err, false);
      }
      if (lost) return finish(leased, started, "lost", null);
      // Validation checks the tree; it may not change it. What it changed is put back first (so
      // the rollback finds what the change wrote), then the change is undone and fails.
      const dirty = guard.changed();
      if (dirty.length > 0) {
        if (!fence(leased)()) return finish(leased, started, "lost", null);
        const unrestored = guard.restore(dirty);
        queue.log(
          leased.id,
          "validation",
          { ok: false, dirty, unrestored, results: result.results },
          "error",
        );
        const err = new HyperionError(
          "E_VALIDATION_DIRTY",
          `validation changed ${dirty.slice(0, 5).join(", ")}${dirty.length > 5 ? ` and ${dirty.length - 5} more` : ""}; ${unrestored.length > 0 ? `could not restore ${unrestored.join(", ")}; ` : "restored; "}the change was rolled back`,
          {
            exitCode: 1,
            hint: "validation commands must not edit tracked files; fix the command in WORKPLAN.md",
            details: { dirty, unrestored },
          },
        );
        return undo(leased, started, err, false);
      }
      queue.log(
        leased.id,
        "validation",
        { ok: result.ok, results: result.results },
        result.ok ? "info" : "error",
      );
      if (result.ok) return null;
      const failed = result.results.at(-1)!;
      const err = new HyperionError(
        "E_VALIDATION",
        `validation command '${failed.command}' ${failed.timed_out ? "timed out" : `exited ${failed.exit_code}`}; the change was rolled back`,
        { exitCode: 1, details: { results: result.results } },
      );
      return undo(leased, started, err, false);
    } finally {
      clearInterval(heartbeat);
    }
  };
