import { availableParallelism } from "node:os";
import { HyperionError } from "../errors.ts";
import type { Workplan } from "../governance/workplan.ts";
import { mapLimited } from "../map-limited.ts";
import type { Leased, Queue } from "../queue/index.ts";
import type { Repo } from "../store/workspace.ts";
import type { Outcome } from "./outcome.ts";
import { changePaths, governance } from "./validation.ts";

/** What batch validation needs of the applier that runs it. */
export type BatchDeps = {
  repo: Repo;
  queue: Queue;
  leaseMs: number;
  /** Applies one change (fenced); its result, or the outcome that ended it (a refused apply). */
  apply: (leased: Leased, started: number) => { files: unknown } | { outcome: Outcome };
  /** Rolls one applied change back (fenced); the outcome when that ended it (lease lost, refused). */
  rollback: (leased: Leased, started: number) => Outcome | null;
  /** Completes one applied, validated change. */
  complete: (leased: Leased, started: number, files: unknown) => Outcome;
  /** Rolls one change back and fails it with `err`. */
  undo: (leased: Leased, started: number, err: HyperionError, release: boolean) => Outcome;
  /** Runs a change's quick checks (its task's); why it failed them, or null. */
  vet: (leased: Leased) => Promise<string | null>;
};

type Check = { ok: boolean; why: string; details: Record<string, unknown> };

/**
 * Validates a batch of leased changes (disjoint paths, each first in line) with one run of the
 * plan's validation commands: apply them all, validate once; on failure roll them back and
 * bisect, validating each half on top of what already passed, so every state the tree is left in
 * was validated. A change is blamed only on a failing run of its own: a batch that failed but
 * whose halves both pass was a flaky run, and nothing is blamed.
 * Returns each change's outcome and how many validation runs it took.
 */
export const validateBatch = async (
  deps: BatchDeps,
  batch: Leased[],
  plan: Workplan,
): Promise<{ outcomes: Outcome[]; runs: number }> => {
  const { repo, queue, leaseMs } = deps;
  const { runValidation, guardTree } = await governance();
  const started = performance.now();
  const outcomes = new Map<string, Outcome>();
  const files = new Map<string, unknown>();
  let runs = 0;
  const blamed: { id: string; ms: number }[] = [];
  let vetted = 0;

  /** Applies what is not ended yet; the changes that applied. */
  const applyAll = (group: Leased[]): Leased[] =>
    group.filter((l) => {
      const r = deps.apply(l, started);
      if ("outcome" in r) outcomes.set(l.id, r.outcome);
      else files.set(l.id, r.files);
      return "files" in r;
    });

  /** Rolls back in reverse order; a change whose rollback ended it drops out. */
  const rollbackAll = (group: Leased[]): Leased[] => {
    for (const l of [...group].reverse()) {
      const ended = deps.rollback(l, started);
      if (ended) outcomes.set(l.id, ended);
    }
    return group.filter((l) => !outcomes.has(l.id));
  };

  /** One run of the validation commands over the tree as it is, every lease kept alive. */
  const check = async (group: Leased[]): Promise<Check> => {
    runs++;
    const heartbeat = setInterval(
      () => {
        for (const l of group) {
          try {
            queue.heartbeat(l.id, l.token, leaseMs);
          } catch {
            // Busy past busy_give_up_ms: the next beat tries again; the fences decide.
          }
        }
      },
      Math.max(500, leaseMs / 3),
    );
    const guard = guardTree(
      repo.loc.repo,
      group.flatMap((l) => changePaths(l.payload)),
    );
    try {
      let result: Awaited<ReturnType<typeof runValidation>>;
      try {
        result = await runValidation({ repo: repo.loc.repo, plan, governance: repo.config.governance });
      } catch (e) {
        return { ok: false, why: `validation could not start: ${(e as Error).message}`, details: {} };
      }
      const dirty = guard.changed();
      if (dirty.length > 0) {
        const unrestored = guard.restore(dirty);
        return {
          ok: false,
          why: `validation changed ${dirty.slice(0, 5).join(", ")}`,
          details: { dirty, unrestored, results: result.results },
        };
      }
      for (const l of group) {
        queue.log(
          l.id,
          "validation",
          { ok: result.ok, results: result.results, batch: group.map((g) => g.id) },
          result.ok ? "info" : "error",
        );
      }
      const failed = result.results.at(-1);
      return result.ok || !failed
        ? { ok: true, why: "", details: {} }
        : {
            ok: false,
            why: `validation command '${failed.command}' ${failed.timed_out ? "timed out" : `exited ${failed.exit_code}`}`,
            details: { results: result.results },
          };
    } finally {
      clearInterval(heartbeat);
    }
  };

  /**
   * `group` is applied: validate it and complete it, or find in it what breaks validation.
   * `failing` says the group is known to fail (its parent failed and the half before it passed),
   * so its own run is skipped and it is split at once. Returns true when all of it passed.
   */
  const settle = async (group: Leased[], failing = false): Promise<boolean> => {
    if (group.length === 0) return true;
    const r = failing && group.length > 1 ? null : await check(group);
    if (r?.ok) {
      for (const l of group) outcomes.set(l.id, deps.complete(l, started, files.get(l.id)));
      return true;
    }
    if (group.length === 1 && r) {
      // Alone and failing: this change breaks validation (a flaky failure of a whole batch never
      // gets here, since each change is blamed only on a run of its own).
      const [l] = group as [Leased];
      const err = new HyperionError("E_VALIDATION", `${r.why}; the change was rolled back`, {
        exitCode: 1,
        details: { ...r.details, batch: batch.length, runs },
      });
      outcomes.set(l.id, deps.undo(l, started, err, false));
      blamed.push({ id: l.id, ms: Math.round(performance.now() - started) });
      return false;
    }
    const kept = rollbackAll(group);
    const mid = Math.ceil(kept.length / 2);
    // Each half on top of what already passed. When the first half passed whole, the failure is
    // in the second: it is split without a run of its own.
    const first = await settle(applyAll(kept.slice(0, mid)));
    await settle(applyAll(kept.slice(mid)), first);
    return false;
  };

  // Each change's quick checks, run side by side (they only read the tree, and the changes' paths
  // are disjoint): a bad change caught here is rolled back and never joins the batch.
  const applied = applyAll(batch);
  const verdicts = await mapLimited(applied, availableParallelism(), (l) => deps.vet(l));
  const joined = applied.filter((l, i) => {
    const why = verdicts[i];
    if (why === null || why === undefined) return true;
    const err = new HyperionError("E_VALIDATION", `quick check ${why}; the change was rolled back`, {
      exitCode: 1,
      details: { batch: batch.length },
    });
    outcomes.set(l.id, deps.undo(l, started, err, false));
    blamed.push({ id: l.id, ms: Math.round(performance.now() - started) });
    vetted++;
    return false;
  });
  await settle(joined);
  const telemetry = {
    batch: batch[0]!.id,
    size: batch.length,
    runs,
    stopped_by_quick_checks: vetted,
    blamed: blamed.map((b) => b.id),
    blame_ms: blamed.map((b) => b.ms),
  };
  for (const l of batch) queue.log(l.id, "validation_batch", telemetry);
  return { outcomes: batch.map((l) => outcomes.get(l.id)!), runs };
};
