import { approvedPlan, isGitRepo } from "../governance/index.ts";
import { log } from "../log.ts";
import { recoverApplies } from "../patch/index.ts";
import { createQueue } from "../queue/index.ts";
import { checkIntegrity, openRepo } from "../store/index.ts";
import { progressSql } from "../store/runtime-sql.ts";
import { readSecret } from "../store/workspace.ts";
import type { Outcome } from "./outcome.ts";
import { startPool } from "./pool.ts";
import { createProgress, emptyTally, type ProgressRecord } from "./progress.ts";
import { watchTree } from "./watch.ts";

export type RunOptions = {
  repo?: string;
  db?: string;
  /** Worker threads (default: config `workers`); 0 runs on the calling thread. */
  workers?: number;
  /** Exit once nothing is queued or leased. */
  untilEmpty: boolean;
  /** Stop after handling this many changes. */
  maxChanges?: number;
  progressIntervalMs: number;
  format: "text" | "json";
  /** Record external edits with fs.watch while running. */
  watch?: boolean;
  /** How long in-flight applies may take to finish after a stop. */
  shutdownGraceMs?: number;
};

export type Runner = {
  /** First signal: stop leasing, let in-flight applies finish (bounded). */
  stop(): void;
  /** Second signal: end at once; the next start repairs anything half done. */
  kill(): void;
  done: Promise<ProgressRecord>;
};

/**
 * Drains the queue: repairs what a crash left, checks the plan, starts the pool and the tree
 * watcher, reports progress, and ends with a summary (exit 0: all applied; 3: some dead or held).
 */
export const startRun = (opts: RunOptions): Runner => {
  const repo = openRepo({ repo: opts.repo, db: opts.db });
  checkIntegrity(repo.db); // a damaged page stops the run before anything is applied (E_DB_CORRUPT)
  const queue = createQueue(repo.db, { secret: readSecret(repo.loc), config: repo.config.queue });
  const counts = progressSql(repo.db);

  const recovered = recoverApplies({ repo: repo.loc.repo, db: repo.db });
  const reclaimed = queue.reclaim();
  if (recovered.rolledBack.length || recovered.rolledForward.length || reclaimed) {
    log.info(
      `recovered: ${recovered.rolledForward.length} rolled forward, ${recovered.rolledBack.length} rolled back, ${reclaimed} leases reclaimed`,
    );
  }
  // Present but unapproved: refuse before anything is applied (E_PLAN_NOT_APPROVED, exit 3).
  const plan = approvedPlan(repo.loc.repo, repo.db);
  const validate = (plan?.metadata.validationPolicy?.commands.length ?? 0) > 0;
  const commit = repo.config.git.commit && isGitRepo(repo.loc.repo);
  let workers = opts.workers ?? repo.config.workers;
  if ((validate || commit) && workers > 1) {
    // Validation runs against the whole tree and git has one index: one change at a time.
    log.info(
      `${validate ? "validation commands" : "git commits"}: applying with 1 worker instead of ${workers}`,
    );
    workers = 1;
  }

  const tally = emptyTally();
  const permits =
    opts.maxChanges === undefined
      ? undefined
      : new Int32Array(new SharedArrayBuffer(4)).fill(opts.maxChanges);
  const progress = createProgress({
    format: opts.format,
    workers: Math.max(1, workers),
    counts: counts.activeCounts,
  });
  const onOutcome = (o: Outcome) => {
    if (o.status === "applied") tally.applied++;
    else if (o.status === "queued") tally.retried++;
    else if (o.status === "dead") tally.dead++;
    else if (o.status === "held") tally.held++;
    else tally.lost++;
    if (o.status === "held") stop();
  };
  const watcher = opts.watch === false ? null : watchTree(repo.loc.repo, repo.db, queue);
  const pool = startPool({
    repo: repo.loc.repo,
    db: repo.loc.db,
    workers,
    validate,
    commit,
    permits,
    onOutcome,
  });

  let stopping = false;
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    pool.stop();
    graceTimer = setTimeout(() => pool.kill(), opts.shutdownGraceMs ?? 30_000);
  };
  const ticker = setInterval(() => progress.tick(tally), opts.progressIntervalMs);
  const reclaimer = setInterval(() => queue.reclaim(), Math.max(1_000, repo.config.queue.lease_ms / 2));
  const checker = setInterval(() => {
    if (stopping) return;
    if (opts.untilEmpty && counts.nothingInLine()) stop();
  }, 25);

  const done = pool.done.finally(() => {
    clearInterval(ticker);
    clearInterval(reclaimer);
    clearInterval(checker);
    if (graceTimer) clearTimeout(graceTimer);
    watcher?.close();
  });
  return {
    stop,
    kill: () => {
      stopping = true;
      pool.kill();
    },
    done: done.then(() => {
      const summary = progress.finish(tally, tally.dead > 0 || tally.held > 0 ? 3 : 0, pool.writeLock());
      repo[Symbol.dispose]();
      return summary;
    }),
  };
};
