import { asCode, HyperionError } from "../errors.ts";
import { log } from "../log.ts";
import { ownerId } from "../queue/index.ts";
import { createWriteLock, type WriteLockStats, writeLockStats } from "../store/write-lock.ts";
import { createApplier } from "./applier.ts";
import { releaseCrashed } from "./crash.ts";
import { drain, stopSignal } from "./drain.ts";
import { FromWorker, type Outcome, type ToWorker } from "./outcome.ts";

export type PoolOptions = {
  repo: string;
  db: string;
  /** Worker threads; 0 runs the same loop on the calling thread (the benchmark's anchor). */
  workers: number;
  validate: boolean;
  commit: boolean;
  /** Changes validated together; default config validation.batch.max. */
  batch?: number;
  /** Changes left to handle (`--max-changes`), shared with the threads; absent for no limit. */
  permits?: Int32Array;
  onOutcome: (o: Outcome) => void;
  /**
   * Set for `run --until-empty`: called when a worker leased nothing while nothing was queued or
   * leased anywhere (that worker's loop ends; the caller stops the rest).
   */
  onEmpty?: () => void;
  /** Test hook: the worker module each thread runs (default apply.worker.ts). */
  entry?: string;
  /** Threads from `startThreads`, used for the first slots; those left over are terminated. */
  threads?: Worker[];
};

/** New threads one slot may get after its thread died, before the run gives up (E_WORKER). */
const MAX_RESPAWNS = 3;

export type Pool = {
  /** Stop leasing; in-flight applies finish. */
  stop(): void;
  /** Terminate threads at once (a second signal); recovery on the next start repairs the rest. */
  kill(): void;
  /** Resolves when every worker has stopped; rejects on a worker's internal error. */
  done: Promise<void>;
  /** The workers' use of the write lock, summed over those that have stopped. */
  writeLock(): WriteLockStats;
};

const addStats = (a: WriteLockStats, b: WriteLockStats): WriteLockStats => ({
  holds: a.holds + b.holds,
  held_ms: a.held_ms + b.held_ms,
  wait_ms: a.wait_ms + b.wait_ms,
});

// In the compiled binary every module sits under the embedded root (the build's `root: "."`),
// and import.meta.url names the executable, not this file; from source, the file is beside us.
const WORKER_ENTRY = import.meta.url.includes("/$bunfs/")
  ? "/$bunfs/root/lib/runtime/apply.worker.ts"
  : new URL("./apply.worker.ts", import.meta.url).href;

/** Failures of the database itself: respawning a worker cannot help, so the pool stops. */
const STORE_GONE: ReadonlySet<string> = new Set([
  "E_DB_GONE",
  "E_DB_READONLY",
  "E_DB_LINKED",
  "E_DB_CORRUPT",
  "E_DB_NEWER",
  "E_DB_OPEN",
  "E_NOT_INITIALIZED",
]);

/**
 * A pool thread, loading its modules until it is told to start. The thread sees the environment
 * as it is now (a Worker otherwise starts from the process's first one): where the key lives
 * follows XDG_STATE_HOME and HOME.
 */
const newThread = (entry: string): Worker =>
  new Worker(entry, {
    env: Object.fromEntries(
      Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
    ),
  });

/**
 * Threads started before the pool: loading a thread's modules and opening its connection take
 * about as long as a run's start-up checks, which they overlap this way. Pass them to `startPool`,
 * or terminate them.
 */
export const startThreads = (n: number, entry = WORKER_ENTRY): Worker[] =>
  Array.from({ length: n }, () => newThread(entry));

/**
 * Bun Workers, each with its own database connection. The entry is `apply.worker.ts`, which the
 * build adds as an entrypoint (every `*.worker.ts` is), so the compiled binary can start it.
 */
export const startPool = (opts: PoolOptions): Pool => {
  const early = [...(opts.threads ?? [])];
  for (const spare of early.splice(opts.workers)) spare.terminate();
  if (opts.workers === 0) return inProcess(opts);
  const threads: Worker[] = [];
  const writeLock = createWriteLock();
  const stopFlag = new Int32Array(new SharedArrayBuffer(4));
  let running = opts.workers;
  let lockUse: WriteLockStats = { holds: 0, held_ms: 0, wait_ms: 0 };
  let failure: HyperionError | null = null;
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const stopped = () => {
    running--;
    if (running > 0) return;
    if (failure) reject(failure);
    else resolve();
  };
  let stopping = false;
  let killed = false;
  // Every thread stops: one still loading sees the flag before it opens anything.
  const stopAll = () => {
    Atomics.store(stopFlag, 0, 1);
    for (const w of threads) w.postMessage({ type: "stop" } satisfies ToWorker);
  };
  const spawn = (slot: number, name: string, respawns: number): Worker => {
    const worker = early.shift() ?? newThread(opts.entry ?? WORKER_ENTRY);
    let alive = true;
    let lastError: string | null = null;
    let threw: HyperionError | null = null;
    // The thread ended mid-lease: its leases go back at once and the slot gets a new thread.
    const died = (err: HyperionError) => {
      alive = false;
      let released = 0;
      try {
        released = releaseCrashed(opts, ownerId(name));
      } catch (e) {
        log.error(`worker ${name}: its leases wait for expiry: ${String((e as Error)?.message ?? e)}`);
      }
      log.warn(`worker ${name} died (${err.message}); ${released} leases returned to the queue`);
      if (STORE_GONE.has(err.code)) {
        // A new thread would meet the same database: every worker stops, and the run says why.
        failure ??= err;
        stopping = true;
        stopAll();
      }
      if (stopping || respawns >= MAX_RESPAWNS) {
        failure ??= err;
        stopped();
        return;
      }
      threads[slot] = spawn(slot, name, respawns + 1);
    };
    worker.onmessage = (event: MessageEvent) => {
      const msg = FromWorker.parse(event.data);
      if (msg.type === "outcomes") reportAll(opts, msg.outcomes);
      else if (msg.type === "empty") opts.onEmpty?.();
      else if (msg.type === "error") {
        // Its loop threw: it stops next, perhaps holding leases.
        threw = new HyperionError(asCode(msg.code), `worker ${msg.worker}: ${msg.message}`, { exitCode: 1 });
        log.error(threw.message);
      } else if (msg.type === "stopped" && alive) {
        lockUse = addStats(lockUse, msg.write_lock);
        worker.terminate();
        if (threw) died(threw);
        else {
          alive = false;
          stopped();
        }
      }
    };
    // Without this listener a worker that cannot load fails silently (see DESIGN.md pitfalls).
    worker.addEventListener("error", (event) => {
      lastError = (event as ErrorEvent).message;
    });
    // A thread that ends without saying it stopped died too (threw past its loop, exited, ran
    // out of memory).
    worker.addEventListener("close", () => {
      if (!alive || killed) return;
      died(
        new HyperionError("E_WORKER", `worker ${name} failed: ${lastError ?? "it exited"}`, { exitCode: 1 }),
      );
    });
    worker.postMessage({
      type: "start",
      repo: opts.repo,
      db: opts.db,
      worker: name,
      validate: opts.validate,
      commit: opts.commit,
      batch: opts.batch,
      permits: opts.permits,
      untilEmpty: opts.onEmpty !== undefined,
      writeLock,
      stopped: stopFlag,
    } satisfies ToWorker);
    return worker;
  };
  for (let i = 0; i < opts.workers; i++) threads.push(spawn(i, `w${i + 1}`, 0));
  return {
    stop: () => {
      stopping = true;
      stopAll();
    },
    kill: () => {
      killed = true;
      for (const w of threads) w.terminate();
      resolve();
    },
    done,
    writeLock: () => lockUse,
  };
};

/** Hands a batch's outcomes to the caller one by one. */
const reportAll = (opts: PoolOptions, batch: Outcome[]): void => {
  for (const o of batch) opts.onOutcome(o);
};

/** The same loop on the calling thread. */
const inProcess = (opts: PoolOptions): Pool => {
  const stop = stopSignal();
  const before = writeLockStats(); // this thread's earlier transactions are not the loop's
  const applier = createApplier({
    repo: opts.repo,
    db: opts.db,
    worker: "main",
    validate: opts.validate,
    commit: opts.commit,
    batch: opts.batch,
  });
  const loop = async () => {
    try {
      await drain(applier, {
        db: opts.db,
        stop,
        permits: opts.permits,
        report: (batch) => reportAll(opts, batch),
        onEmpty: opts.onEmpty,
      });
    } finally {
      applier.close();
    }
  };
  return {
    stop: () => stop.stop(),
    kill: () => stop.stop(),
    done: loop(),
    writeLock: () => writeLockStats(before),
  };
};
