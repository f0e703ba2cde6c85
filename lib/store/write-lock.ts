import { z } from "zod";

/**
 * One writer at a time among this process's threads, handed over with a futex instead of
 * SQLite's busy handler, which sleeps 1, 2, 5, 10... ms between tries: two worker threads
 * contending for the write lock would otherwise spend most of their time asleep. Other
 * processes still meet at SQLite's own lock (busy_timeout).
 */
let cell: Int32Array | null = null;
let depth = 0; // this thread's nesting: an inner transaction runs under the outer one's hold

/**
 * This thread's use of the write lock: how many times it took it, how long it held it and how
 * long it waited for it. SQLite lets one writer at a time, so the share of a run spent holding
 * the lock bounds what more workers can add (see docs/PERFORMANCE.md, Run).
 */
export const WriteLockStats = z.object({ holds: z.number(), held_ms: z.number(), wait_ms: z.number() });
export type WriteLockStats = z.infer<typeof WriteLockStats>;
const stats: WriteLockStats = { holds: 0, held_ms: 0, wait_ms: 0 };
/** This thread's counts so far, or what was added to them since `since`. */
export const writeLockStats = (since?: WriteLockStats): WriteLockStats => ({
  holds: stats.holds - (since?.holds ?? 0),
  held_ms: stats.held_ms - (since?.held_ms ?? 0),
  wait_ms: stats.wait_ms - (since?.wait_ms ?? 0),
});

/** The lock's shared memory: created once by the main thread and handed to every worker thread. */
export const createWriteLock = (): SharedArrayBuffer => {
  const sab = new SharedArrayBuffer(4);
  cell = new Int32Array(sab);
  return sab;
};

/** A worker thread joins the lock its pool created. */
export const joinWriteLock = (sab: SharedArrayBuffer): void => {
  cell = new Int32Array(sab);
};

/**
 * Runs `fn` holding the process's write lock (when no pool created one, SQLite's own lock is the
 * only one) and counts the hold in this thread's stats.
 */
export const withWriteLock = <T>(fn: () => T): T => {
  if (depth > 0) {
    depth++;
    try {
      return fn();
    } finally {
      depth--;
    }
  }
  const asked = performance.now();
  if (cell !== null) while (Atomics.compareExchange(cell, 0, 0, 1) !== 0) Atomics.wait(cell, 0, 1, 50);
  const got = performance.now();
  depth++;
  try {
    return fn();
  } finally {
    depth--;
    stats.holds++;
    stats.held_ms += performance.now() - got;
    stats.wait_ms += got - asked;
    if (cell !== null) {
      Atomics.store(cell, 0, 0);
      Atomics.notify(cell, 0, 1);
    }
  }
};
