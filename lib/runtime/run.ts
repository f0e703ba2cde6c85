import { EXIT } from "../errors.ts";
import { approvedPlan, isGitRepo } from "../governance/index.ts";
import { log } from "../log.ts";
import { recoverApplies } from "../patch/index.ts";
import { createQueue } from "../queue/index.ts";
import { checkIntegrity, openRepo, type Repo } from "../store/index.ts";
import { progressSql } from "../store/runtime-sql.ts";
import { readSecret } from "../store/workspace.ts";
import { createAlerts } from "./alerts.ts";
import type { Outcome } from "./outcome.ts";
import { startPool, startThreads } from "./pool.ts";
import { createProgress, emptyTally, type Problem, type ProgressRecord } from "./progress.ts";
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
  /** Changes validated together (default config validation.batch.max.max). */
  batch?: number;
  progressIntervalMs: number;
  /** Gets each progress record and the summary; the caller renders them. */
  onProgress: (r: ProgressRecord) => void;
  /** Record external edits with fs.watch while running. */
  watch?: boolean;
  /** How long in-flight applies may take to finish after a stop. */
  shutdownGraceMs?: number;
};

/** How many changes awaiting approval a run's summary names (the count covers them all). */
const AWAITING_NAMED = 20;

export type Runner = {
  /** `--until-empty` is done or `--max-changes` reached: stop leasing, let in-flight applies finish. */
  stop(): void;
  /** First signal: the same, and the run ends as interrupted (exit 130). */
  interrupt(): void;
  /** Second signal: end at once; the next start repairs anything half done. */
  kill(): void;
  done: Promise<ProgressRecord>;
};

/**
 * Drains the queue: repairs what a crash left, checks the plan, starts the pool and the tree
 * watcher, reports progress, and ends with a summary (exit 0: all applied; 3: a change is dead,
 * held or awaiting approval; 130: interrupted).
 */
export const startRun = (opts: RunOptions): Runner => {
  const repo = openRepo({ repo: opts.repo, db: opts.db });
  // The threads load while this thread checks the store: a run that refuses to start ends them.
  const threads = startThreads(opts.workers ?? repo.config.workers);
  try {
    return begin(opts, repo, threads);
  } catch (e) {
    for (const t of threads) t.terminate();
    repo[Symbol.dispose]();
    throw e;
  }
};

const begin = (opts: RunOptions, repo: Repo, threads: Worker[]): Runner => {
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
    workers: Math.max(1, workers),
    counts: counts.activeCounts,
    emit: opts.onProgress,
  });
  const problems: Problem[] = [];
  const alerts = createAlerts(repo);
  const onOutcome = (o: Outcome) => {
    if (o.status === "applied") tally.applied++;
    else if (o.status === "queued") tally.retried++;
    else if (o.status === "dead") tally.dead++;
    else if (o.status === "held") tally.held++;
    else tally.lost++;
    if (o.status === "dead") alerts.kick();
    if (o.status === "dead" || o.status === "held")
      problems.push({ id: o.id, status: o.status, code: o.code, message: o.message });
    if (o.status === "held") stop();
  };
  const watcher = opts.watch === false ? null : watchTree(repo.loc.repo, repo.db, queue);
  const pool = startPool({
    repo: repo.loc.repo,
    db: repo.loc.db,
    workers,
    validate,
    batch: opts.batch,
    commit,
    permits,
    threads,
    onOutcome,
    // The workers read the line when a lease finds nothing and say when it is empty: no timer here.
    onEmpty: opts.untilEmpty ? () => stop() : undefined,
  });

  let stopping = false;
  let interrupted = false;
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    pool.stop();
    graceTimer = setTimeout(() => pool.kill(), opts.shutdownGraceMs ?? 30_000);
  };
  const ticker = setInterval(() => progress.tick(tally), opts.progressIntervalMs);
  const reclaimer = setInterval(() => queue.reclaim(), Math.max(1_000, repo.config.queue.lease_ms / 2));

  const done = pool.done.finally(() => {
    clearInterval(ticker);
    clearInterval(reclaimer);
    if (graceTimer) clearTimeout(graceTimer);
    watcher?.close();
  });
  return {
    stop,
    interrupt: () => {
      interrupted = true;
      stop();
    },
    kill: () => {
      interrupted = true;
      stopping = true;
      pool.kill();
    },
    done: done.then(async () => {
      // Dead letters made by this run, or left by others, alert before the summary.
      alerts.kick();
      await alerts.settled();
      for (const id of counts.awaitingIds(AWAITING_NAMED))
        problems.push({ id, status: "awaiting_approval", code: null, message: null });
      const exit_code = interrupted ? EXIT.interrupted : problems.length > 0 ? EXIT.needsPerson : EXIT.ok;
      const summary = progress.finish(tally, { exit_code, problems, interrupted }, pool.writeLock());
      repo[Symbol.dispose]();
      return summary;
    }),
  };
};
