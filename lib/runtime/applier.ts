import { HyperionError } from "../errors.ts";
// A type only: the module itself loads lazily (below).
import type { Workplan } from "../governance/workplan.ts";
import { log } from "../log.ts";
import {
  applyChange,
  applyChanges,
  behindFailed,
  fail,
  payloadKeys,
  recoverApplies,
  rollbackChange,
  settleChanges,
  sparePool,
} from "../patch/index.ts";
import { createQueue, type Leased, ownerId } from "../queue/index.ts";
import { ChangeRequest } from "../schema/index.ts";
import { openRepo } from "../store/index.ts";
import { runtimeSql } from "../store/runtime-sql.ts";
import { readSecret } from "../store/workspace.ts";
import { type BatchDeps, validateBatch } from "./batch.ts";
import type { Outcome } from "./outcome.ts";
import { changePaths, governance, makeValidation, touchesPlan } from "./validation.ts";

/** Errors of a file the system will not let us write (immutable, read-only mount): retrying changes nothing. */
const PERMANENT_ERRNO = new Set(["EPERM", "EACCES", "EROFS"]);

export type ApplierOptions = {
  repo: string;
  db: string;
  /** Worker name; the lease owner is ownerId(name) (host, pid, start time), so a dead process's leases are reclaimed at once. */
  worker: string;
  /** Run the approved plan's validation commands after each apply (the pool serialises this). */
  validate: boolean;
  /** Commit each applied change in git (the pool serialises this too). */
  commit: boolean;
  /** Changes validated together, bisected on failure (default config validation.batch.max.max; 1: alone). */
  batch?: number;
  /** Test hook, handed to applyChanges (see ApplyContext.onStep): a test throws from it to fault an apply. */
  onStep?: (step: string) => void;
};

/**
 * One worker's side of the queue: its own connection and prepared statements, leasing one
 * change at a time, applying it, validating it and recording the outcome.
 */
export const createApplier = (opts: ApplierOptions) => {
  const repo = openRepo({ repo: opts.repo, db: opts.db });
  const secret = readSecret(repo.loc);
  const queue = createQueue(repo.db, { secret, config: repo.config.queue });
  const owner = ownerId(opts.worker);
  const leaseMs = repo.config.queue.lease_ms;
  // The inodes of files this worker replaced, reused by its later applies (not only within one
  // batch): freeing them and allocating new ones is most of an apply's file-system cost.
  const spares = sparePool(repo.loc.repo, repo.config.limits);

  const finish = (
    leased: Leased,
    started: number,
    status: Outcome["status"],
    err?: HyperionError | null,
  ): Outcome => ({
    id: leased.id,
    status,
    code: err?.code ?? null,
    message: err?.message ?? null,
    apply_ms: Math.round(performance.now() - started),
    worker: owner,
  });

  /** An apply that threw something other than a change's own reason: that change fails, retryably. */
  const crashed = (l: Leased, e: unknown): HyperionError =>
    e instanceof HyperionError && e.code === "E_BUSY"
      ? e
      : fail(
          "E_APPLY_FAILED",
          `applying ${l.id} threw: ${String((e as Error)?.message ?? e).slice(0, 300)}`,
          {
            details: { change_id: l.id },
          },
        );

  /**
   * A retryable failure that no retry can mend: a base that is neither the file (the rebase was
   * tried) nor what an open change will leave there, or a file the system will not let us write.
   */
  const hopeless = (leased: Leased, err: HyperionError): boolean => {
    if (err.code === "E_IO") {
      const errno = (err.cause as NodeJS.ErrnoException | undefined)?.code;
      return PERMANENT_ERRNO.has(errno ?? "") || /: (EPERM|EACCES|EROFS)\b/.test(err.message);
    }
    if (err.code !== "E_BASE_CHANGED") return false;
    const path = err.details?.path;
    const fc = ChangeRequest.parse(JSON.parse(leased.payload)).changes.find((c) => c.path === path);
    if (typeof path !== "string" || fc?.base_sha256 === undefined) return false;
    return queue.producerOf(path, fc.base_sha256, leased.id) === null;
  };

  const failWith = (leased: Leased, started: number, err: HyperionError): Outcome => {
    // A pending apply in the way may be a dead process's (killed mid-apply while this run goes
    // on): repair it now, so the retry finds the paths free instead of failing until a restart.
    if (err.code === "E_APPLY_IN_PROGRESS")
      recoverApplies({ repo: repo.loc.repo, db: repo.db, limits: repo.config.limits });
    try {
      const next = queue.fail(leased.id, leased.token, {
        code: err.code,
        message: err.message,
        retryable: err.retryable && !hopeless(leased, err),
        details: err.details,
      });
      return finish(leased, started, next, err);
    } catch (e) {
      if (e instanceof HyperionError && e.code === "E_LEASE_LOST") return finish(leased, started, "lost", e);
      throw e;
    }
  };

  /**
   * The fencing check before every write of this change's files (apply, rollback) and before
   * its git commit: a heartbeat, which also proves the token is still the change's lease.
   */
  const fence = (leased: Leased) => () => queue.heartbeat(leased.id, leased.token, leaseMs);

  /** Undoes this worker's apply, fenced: a worker that lost the lease writes nothing (E_LEASE_LOST). */
  const rollback = (leased: Leased) =>
    rollbackChange({ repo: repo.loc.repo, db: repo.db, changeId: leased.id, fence: fence(leased) });

  /** Rolls the change back and records why; "lost" when the lease went to another worker meanwhile. */
  const undo = (leased: Leased, started: number, err: HyperionError, release: boolean): Outcome => {
    try {
      rollback(leased);
    } catch (e) {
      if (!(e instanceof HyperionError)) throw e;
      if (e.code === "E_LEASE_LOST") return finish(leased, started, "lost", e);
      // The rollback itself was refused (files diverged...): a person must look; the error says why.
      return failWith(
        leased,
        started,
        new HyperionError(e.code, `${err.message}; rollback failed: ${e.message}`, {
          exitCode: e.exitCode,
          details: { cause: err.code, rollback: e.details },
        }),
      );
    }
    if (!release) return failWith(leased, started, err);
    if (!queue.release(leased.id, leased.token)) return finish(leased, started, "lost", err);
    queue.log(leased.id, "held", { code: err.code, message: err.message }, "warn");
    return finish(leased, started, "held", err);
  };

  const validate = makeValidation({ repo, queue, leaseMs, fence, finish, undo });

  /** One commit per applied change; a failure to commit is logged, the change stays applied. */
  const commitChange = async (leased: Leased): Promise<string | null> => {
    const { commitPaths } = await governance();
    const cr = ChangeRequest.parse(JSON.parse(leased.payload));
    const paths = changePaths(leased.payload);
    try {
      return commitPaths(repo.loc.repo, paths, cr.summary ?? `Apply ${leased.id}`, {
        task: cr.task_id,
        change: leased.id,
      });
    } catch (e) {
      queue.log(leased.id, "commit_failed", { message: String((e as Error).message) }, "warn");
      return null;
    }
  };

  /** Apply, validate, commit, complete: one change at a time, for validation and git mode. */
  const processOne = async (leased: Leased): Promise<Outcome> => {
    const started = performance.now();
    // The plan in effect before this change is applied (it may edit the plan itself).
    let planBefore: Workplan | null = null;
    if (opts.validate && (await touchesPlan(leased.payload))) {
      try {
        planBefore = (await governance()).approvedPlan(repo.loc.repo, repo.db);
      } catch (e) {
        if (!(e instanceof HyperionError)) throw e;
      }
    }
    let files: unknown;
    try {
      files = applyChange({
        repo: repo.loc.repo,
        db: repo.db,
        secret,
        change: { id: leased.id, payload: leased.payload, signature: leased.signature },
        limits: repo.config.limits,
        fence: fence(leased),
        ...(opts.onStep ? { onStep: opts.onStep } : {}),
      });
    } catch (e) {
      if (e instanceof HyperionError && e.code !== "E_BUSY") return failWith(leased, started, e);
      settleChanges({ repo: repo.loc.repo, db: repo.db, limits: repo.config.limits }, [leased.id]);
      return failWith(leased, started, crashed(leased, e));
    }
    if (opts.validate) {
      const held = await validate(leased, started, planBefore);
      if (held) return held;
    }
    // A worker whose lease is gone commits nothing: the change is another worker's now.
    if (opts.commit && !fence(leased)()) {
      return finish(leased, started, "lost", null);
    }
    const commit = opts.commit ? await commitChange(leased) : null;
    try {
      queue.complete(leased.id, leased.token, {
        result: files,
        apply_ms: Math.round(performance.now() - started),
        ...(commit ? { commit } : {}),
      });
    } catch (e) {
      if (e instanceof HyperionError && e.code === "E_LEASE_LOST") return finish(leased, started, "lost", e);
      throw e;
    }
    return finish(leased, started, "applied");
  };

  const batchSize = opts.batch ?? repo.config.validation.batch.max;
  const batchWaitMs = repo.config.validation.batch.wait_ms;

  /**
   * Changes validated together (validateBatch): null when they must go one by one instead (a
   * change to the plan itself, or no plan in force, whose rules processOne keeps).
   */
  const processValidated = async (batch: Leased[]): Promise<Outcome[] | null> => {
    const { approvedPlan } = await governance();
    let plan: Workplan | null;
    try {
      plan = approvedPlan(repo.loc.repo, repo.db);
    } catch {
      return null;
    }
    if (!plan || (plan.metadata.validationPolicy?.commands.length ?? 0) === 0) return null;
    for (const l of batch) if (await touchesPlan(l.payload)) return null;
    const checksOf = runtimeSql(repo.db).taskChecks;
    const deps: BatchDeps = {
      repo,
      queue,
      leaseMs,
      apply: (l, started) => {
        try {
          return {
            files: applyChange({
              repo: repo.loc.repo,
              db: repo.db,
              secret,
              change: { id: l.id, payload: l.payload, signature: l.signature },
              limits: repo.config.limits,
              fence: fence(l),
            }),
          };
        } catch (e) {
          if (e instanceof HyperionError && e.code !== "E_BUSY") return { outcome: failWith(l, started, e) };
          settleChanges({ repo: repo.loc.repo, db: repo.db, limits: repo.config.limits }, [l.id]);
          return { outcome: failWith(l, started, crashed(l, e)) };
        }
      },
      rollback: (l, started) => {
        try {
          rollback(l);
          return null;
        } catch (e) {
          if (!(e instanceof HyperionError)) throw e;
          return e.code === "E_LEASE_LOST" ? finish(l, started, "lost", e) : failWith(l, started, e);
        }
      },
      complete: (l, started, files) => {
        try {
          queue.complete(l.id, l.token, { result: files, apply_ms: Math.round(performance.now() - started) });
          return finish(l, started, "applied");
        } catch (e) {
          if (e instanceof HyperionError && e.code === "E_LEASE_LOST") return finish(l, started, "lost", e);
          throw e;
        }
      },
      undo,
      vet: async (l) => {
        const { runAllowed } = await governance();
        for (const command of checksOf(l.task_id)) {
          let r: Awaited<ReturnType<typeof runAllowed>>;
          try {
            r = await runAllowed(command, { repo: repo.loc.repo, plan, governance: repo.config.governance });
          } catch {
            continue; // no longer in the plan's Commands: the batch's validation still judges it
          }
          queue.log(l.id, "quick_check", { command, exit_code: r.exit_code, stderr: r.stderr.slice(-2_000) });
          if (r.exit_code !== 0) return `'${command}' ${r.timed_out ? "timed out" : `exited ${r.exit_code}`}`;
        }
        return null;
      },
    };
    return (await validateBatch(deps, batch, plan)).outcomes;
  };

  /** A batch, applied together; see applyBatch. */
  const processBatch = (batch: Leased[]): Outcome[] => {
    const started = performance.now();
    const ended = new Map<string, Outcome["status"]>();
    try {
      return applyBatch(batch, started, ended);
    } catch (e) {
      // Something threw between a group's phases, not one change's own reason: undo what the
      // batch left half done, then handle each change alone, so the one that throws fails
      // alone and the others are applied (each counted its one attempt, no more).
      log.warn(
        `a batch of ${batch.length} threw (${String((e as Error)?.message ?? e)}); applying its changes one by one`,
      );
      settleChanges(
        { repo: repo.loc.repo, db: repo.db, limits: repo.config.limits },
        batch.map((l) => l.id),
      );
      // A change stacked on one that did not apply here is put back, not tried against a file
      // that lacks its base.
      const failedOn = new Map<string, string>();
      return batch.map((l) => {
        const done = ended.get(l.id);
        if (done) return finish(l, started, done);
        const keys = payloadKeys(l.payload);
        const ahead = keys.map((k) => failedOn.get(k)).find((id) => id !== undefined);
        const o = ahead === undefined ? alone(l) : putBack(l, started, behindFailed(l.id, ahead));
        if (o.status !== "applied")
          for (const k of keys) if (!failedOn.has(k)) failedOn.set(k, ahead ?? l.id);
        return o;
      });
    }
  };

  /** Back in line untouched, its attempt given back: it stood behind a change that failed. */
  const putBack = (l: Leased, started: number, err: HyperionError): Outcome =>
    finish(l, started, queue.release(l.id, l.token) ? "queued" : "lost", err);

  /** One change of a batch that threw, applied on its own; if it throws too, it fails alone. */
  const alone = (l: Leased): Outcome => {
    const started = performance.now();
    try {
      return applyBatch([l], started, new Map())[0]!;
    } catch (e) {
      settleChanges({ repo: repo.loc.repo, db: repo.db, limits: repo.config.limits }, [l.id]);
      return failWith(l, started, crashed(l, e));
    }
  };

  /**
   * A batch of leased changes (their paths are disjoint: each is first in line on its paths)
   * applied in one journal round trip. Each group's completion commits in the transaction that
   * records it applied, so the write lock is taken three times per group instead of per change.
   */
  const applyBatch = (batch: Leased[], started: number, ended: Map<string, Outcome["status"]>): Outcome[] => {
    const leased = new Map(batch.map((l) => [l.id, l]));
    const complete = (applied: { id: string; result: unknown }[]) => {
      const data = { apply_ms: Math.round(performance.now() - started), batch: batch.length };
      const { lost } = queue.completeMany(
        applied.map((a) => ({
          id: a.id,
          token: leased.get(a.id)!.token,
          data: { result: a.result, ...data },
        })),
      );
      const lostSet = new Set(lost);
      for (const a of applied) ended.set(a.id, lostSet.has(a.id) ? "lost" : "applied");
    };
    const results = applyChanges({
      repo: repo.loc.repo,
      db: repo.db,
      secret,
      changes: batch.map((l) => ({ id: l.id, payload: l.payload, signature: l.signature })),
      limits: repo.config.limits,
      fence: (id) => fence(leased.get(id)!)(),
      inCommit: complete,
      spares,
      ...(opts.onStep ? { onStep: opts.onStep } : {}),
    });
    // Applied before, by a run that stopped before completing it: nothing was written this time.
    const again = results.flatMap((r) => (r.ok && !ended.has(r.id) ? [r] : []));
    if (again.length > 0) complete(again);
    // Stacked behind a change that failed: back in line untouched, its attempt given back; first,
    // so that a failure that kills the change they stand on finds them queued (E_DEPENDENCY).
    const behind = new Map(
      results.flatMap((r) => {
        if (r.ok || r.error.code !== "E_BEHIND_FAILED") return [];
        return [[r.id, putBack(leased.get(r.id)!, started, r.error)]];
      }),
    );
    return results.map((r) => {
      const l = leased.get(r.id)!;
      if (r.ok) return finish(l, started, ended.get(r.id)!);
      return behind.get(r.id) ?? failWith(l, started, r.error);
    });
  };

  return {
    queue,
    owner,
    /** Leases up to `max` changes and handles them; `pollMs` is how long the worker slept before (telemetry). */
    async process(max: number, pollMs?: number): Promise<Outcome[]> {
      const serial = opts.validate || opts.commit;
      // Validated changes go one at a time, or in batches validated together (not in git mode:
      // each change is its own commit).
      const together = opts.validate && !opts.commit ? Math.min(max, batchSize) : 1;
      // Unvalidated batches take each path's stack whole, applied as one group (each file
      // written once); validated ones take only changes first in line, each judged on its own.
      const batch = queue.leaseBatch(owner, serial ? together : max, { leaseMs, pollMs, stacks: !serial });
      if (batch.length === 0) return [];
      // A batch short of its size may wait a little for more ready changes (validation.batch.wait_ms).
      for (
        const until = Date.now() + batchWaitMs;
        together > 1 && batch.length < together && Date.now() < until;
      ) {
        await Bun.sleep(Math.min(25, batchWaitMs));
        batch.push(...queue.leaseBatch(owner, together - batch.length, { leaseMs }));
      }
      if (!serial) return processBatch(batch);
      if (batch.length > 1) {
        const validated = await processValidated(batch);
        if (validated) return validated;
      }
      const outcomes: Outcome[] = [];
      for (const leased of batch) outcomes.push(await processOne(leased));
      return outcomes;
    },
    close: () => {
      spares.drop();
      repo[Symbol.dispose]();
    },
  };
};
