import type { Database } from "bun:sqlite";
import { openDatabase } from "../store/index.ts";
import { progressSql } from "../store/runtime-sql.ts";
import type { createApplier } from "./applier.ts";
import type { Outcome } from "./outcome.ts";

/**
 * Tells a worker's loop to stop. A loop asleep between polls wakes at once, so a run ends as soon
 * as its last apply does, not when the longest idle wait is over.
 */
export const stopSignal = () => {
  let stopped = false;
  let wake: (() => void) | null = null;
  return {
    get stopped() {
      return stopped;
    },
    stop() {
      stopped = true;
      wake?.();
    },
    /** Waits `ms`, or less when stopped meanwhile. */
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        if (stopped) return resolve();
        const timer = setTimeout(() => wake?.(), ms);
        wake = () => {
          clearTimeout(timer);
          wake = null;
          resolve();
        };
      }),
  };
};
export type StopSignal = ReturnType<typeof stopSignal>;

/**
 * Changes one worker leases at a time when they can be applied together. Each batch costs three
 * write transactions whatever its size; at 128 two workers drained 100,000 changes at about
 * 8,700/s against 7,000/s at 32 (docs/PERFORMANCE.md, Load).
 */
export const BATCH = 128;

/** The longest an idle worker waits before it leases again (new changes may come from anywhere). */
const IDLE_MAX_MS = 100;

/** Takes up to `want` permits; returns how many it got. */
const take = (permits: Int32Array, want: number): number => {
  for (;;) {
    const left = Atomics.load(permits, 0);
    if (left <= 0) return 0;
    const got = Math.min(left, want);
    if (Atomics.compareExchange(permits, 0, left, left - got) === left) return got;
  }
};

export type DrainOptions = {
  /** The database file: an idle worker reads the line through a connection of its own. */
  db: string;
  /** Set once the pool was told to stop. */
  stop: StopSignal;
  /** Changes left to handle (`--max-changes`), shared with the other threads. */
  permits?: Int32Array;
  /** Gets each batch's outcomes (one message per batch from a worker thread). */
  report: (batch: Outcome[]) => void;
  /**
   * `run --until-empty`: called, and the loop ends, when a lease finds nothing while nothing is
   * queued or leased anywhere (or all that is waits behind changes held for a person).
   */
  onEmpty?: () => void;
};

/**
 * The loop every worker runs: take permits (when `--max-changes` set a budget), lease and handle
 * a batch of changes, report them together. When a lease finds nothing, the worker reads the line
 * itself: with `onEmpty`, nothing in line ends the drain; otherwise it waits and leases again,
 * backing off to 100 ms, or less when a change waiting out a retry's backoff comes due sooner.
 */
export const drain = async (applier: ReturnType<typeof createApplier>, o: DrainOptions): Promise<void> => {
  // Opened at the first empty lease: a worker that always finds work never needs it.
  let conn: Database | undefined;
  let line: ReturnType<typeof progressSql> | undefined;
  const probe = () => {
    if (!line) {
      conn = openDatabase(o.db);
      line = progressSql(conn);
    }
    return line;
  };
  let idle = 1;
  let slept = 0;
  try {
    while (!o.stop.stopped) {
      const want = o.permits ? take(o.permits, BATCH) : BATCH;
      if (want === 0) return;
      // How long the worker slept before this poll is its poll interval (queue-metrics shows it).
      const outcomes = await applier.process(want, slept);
      if (o.permits && outcomes.length < want) Atomics.add(o.permits, 0, want - outcomes.length);
      if (outcomes.length > 0) {
        idle = 1;
        slept = 0;
        o.report(outcomes);
        if (outcomes.some((x) => x.status === "held")) return;
        continue;
      }
      // Read after the lease found nothing: a change another worker still holds counts as leased
      // here, and its outcome (applied, or queued again with backoff) is in line before it leaves.
      if (o.onEmpty && probe().nothingInLine()) {
        o.onEmpty();
        return;
      }
      const due = probe().nextDueAt();
      const until = due === null ? Number.POSITIVE_INFINITY : due - Date.now();
      slept = until > 0 ? Math.min(idle, Math.ceil(until)) : idle;
      await o.stop.sleep(slept);
      idle = Math.min(idle * 2, IDLE_MAX_MS);
    }
  } finally {
    conn?.close();
  }
};
