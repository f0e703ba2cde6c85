/**
 * One writer at a time among this process's threads, handed over with a futex instead of
 * SQLite's busy handler, which sleeps 1, 2, 5, 10... ms between tries: two worker threads
 * contending for the write lock would otherwise spend most of their time asleep. Other
 * processes still meet at SQLite's own lock (busy_timeout).
 */
let cell: Int32Array | null = null;
let depth = 0; // this thread's nesting: an inner transaction runs under the outer one's hold

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

/** Runs `fn` holding the process's write lock (a no-op when no pool created one). */
export const withWriteLock = <T>(fn: () => T): T => {
  if (cell === null || depth > 0) {
    depth++;
    try {
      return fn();
    } finally {
      depth--;
    }
  }
  while (Atomics.compareExchange(cell, 0, 0, 1) !== 0) Atomics.wait(cell, 0, 1, 50);
  depth++;
  try {
    return fn();
  } finally {
    depth--;
    Atomics.store(cell, 0, 0);
    Atomics.notify(cell, 0, 1);
  }
};
