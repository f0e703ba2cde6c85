/**
 * The three queues the queue benchmark runs side by side, behind one small interface:
 * Hyperion's queue; raw bun:sqlite doing the minimal equivalent SQL (the physical limit);
 * and plainjob, a SQLite job queue for Bun (dev dependency of the benchmark only).
 */
import { Database } from "bun:sqlite";
import { bun, defineQueue, defineWorker } from "plainjob";
import { createQueue } from "../lib/queue/index.ts";
import type { ChangeRequest } from "../lib/schema/index.ts";
import { openDatabase } from "../lib/store/index.ts";
import { WAL_AUTOCHECKPOINT_PAGES } from "../lib/store/open.ts";

export type SystemName = "hyperion" | "raw" | "plainjob";
export const SYSTEMS: SystemName[] = ["hyperion", "raw", "plainjob"];

export type System = {
  /** Enqueues one change in its own transaction. */
  enqueueOne: (cr: ChangeRequest) => void;
  /** Enqueues a batch in one transaction. */
  enqueueMany: (crs: ChangeRequest[]) => void;
  /** Leases (claims) one change and completes it; false when none is left. */
  cycle: () => boolean;
  /** Leases up to n changes in one transaction and completes them in another; how many. */
  drainBatch: (n: number) => number;
  /**
   * Drains everything the way the system's own worker loop does, one change at a time:
   * Hyperion's completeNext (complete and lease the next in one transaction), plainjob's
   * defineWorker, raw's claim then complete. Resolves to how many it drained.
   */
  workerLoop: () => Promise<number>;
  close: () => void;
};

const SECRET = new Uint8Array(32).fill(1);

const hyperion = (path: string, worker: string): System => {
  const db = openDatabase(path, { create: true });
  const q = createQueue(db, { secret: SECRET });
  const owner = `bench:${process.pid}:${worker}`;
  return {
    enqueueOne: (cr) => void q.enqueue(cr),
    enqueueMany: (crs) => void q.enqueue(crs),
    cycle: () => {
      const l = q.lease(owner);
      if (!l) return false;
      q.complete(l.id, l.token);
      return true;
    },
    drainBatch: (n) => {
      const ls = q.leaseBatch(owner, n);
      if (ls.length > 0) q.completeMany(ls.map((l) => ({ id: l.id, token: l.token })));
      return ls.length;
    },
    workerLoop: async () => {
      let n = 0;
      for (let l = q.lease(owner); l; l = q.completeNext(l.id, l.token, owner)) n++;
      return n;
    },
    close: () => db.close(),
  };
};

/**
 * The least SQL that stores the same change (unique id, payload, its paths) and hands it out
 * by priority then age with a lease: no path check, no signature, no events.
 */
const raw = (path: string, worker: string): System => {
  const db = new Database(path, { create: true, strict: true });
  db.run("PRAGMA busy_timeout = 5000");
  db.run("PRAGMA journal_mode = WAL");
  db.run("PRAGMA synchronous = NORMAL");
  // The same checkpoint interval as Hyperion's connections: the limit on the same storage settings.
  db.run(`PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  db.transaction(() => {
    db.run(`CREATE TABLE IF NOT EXISTS jobs (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, status INTEGER NOT NULL,
      priority INTEGER NOT NULL, available_at INTEGER NOT NULL, lease_owner TEXT, leased_until INTEGER,
      attempts INTEGER NOT NULL DEFAULT 0, payload TEXT NOT NULL, finished_at INTEGER)`);
    db.run("CREATE INDEX IF NOT EXISTS jobs_pick ON jobs(status, priority DESC, seq)");
    db.run(
      "CREATE TABLE IF NOT EXISTS job_paths (seq INTEGER NOT NULL, path TEXT NOT NULL, PRIMARY KEY (seq, path)) WITHOUT ROWID",
    );
  }).immediate();
  let n = 0;
  const ins = db.prepare(
    "INSERT INTO jobs (id, status, priority, available_at, payload) VALUES (?, 0, 0, ?, ?)",
  );
  const insPath = db.prepare("INSERT OR IGNORE INTO job_paths (seq, path) VALUES (?, ?)");
  const put = (cr: ChangeRequest) => {
    const id = cr.id ?? `cr-${process.pid}-${++n}`;
    const seq = ins.run(id, Date.now(), JSON.stringify({ id, ...cr })).lastInsertRowid;
    for (const c of cr.changes) insPath.run(seq, c.path);
  };
  const pick = db.prepare(
    "SELECT seq FROM jobs WHERE status = 0 AND available_at <= ? ORDER BY priority DESC, seq LIMIT ?",
  );
  const claim = db.prepare(
    "UPDATE jobs SET status = 1, lease_owner = ?, leased_until = ?, attempts = attempts + 1 WHERE seq = ? RETURNING seq, payload",
  );
  const done = db.prepare("UPDATE jobs SET status = 2, finished_at = ? WHERE seq = ? AND status = 1");
  const owner = `bench:${process.pid}:${worker}`;
  const claimN = db.transaction((k: number) => {
    const now = Date.now();
    return (pick.all(now, k) as { seq: number }[]).map(
      (r) => claim.get(owner, now + 30_000, r.seq) as { seq: number },
    );
  });
  const completeN = db.transaction((seqs: number[]) => {
    const now = Date.now();
    for (const s of seqs) done.run(now, s);
  });
  const enqueueMany = db.transaction((crs: ChangeRequest[]) => {
    for (const cr of crs) put(cr);
  });
  return {
    enqueueOne: (cr) => enqueueMany.immediate([cr]),
    enqueueMany: (crs) => enqueueMany.immediate(crs),
    cycle: () => {
      const [j] = claimN.immediate(1);
      if (!j) return false;
      done.run(Date.now(), j.seq);
      return true;
    },
    drainBatch: (k) => {
      const js = claimN.immediate(k);
      if (js.length > 0) completeN.immediate(js.map((j) => j.seq));
      return js.length;
    },
    workerLoop: async () => {
      let n = 0;
      for (;;) {
        const [j] = claimN.immediate(1);
        if (!j) return n;
        done.run(Date.now(), j.seq);
        n++;
      }
    },
    close: () => db.close(),
  };
};

const silent = { error() {}, warn() {}, info() {}, debug() {} };

const plainjob = (path: string): System => {
  const db = new Database(path, { create: true, strict: true });
  const q = defineQueue({ connection: bun(db), logger: silent });
  // Its worker's steps for one job: claim, read the job, mark it done.
  const cycle = () => {
    const j = q.getAndMarkJobAsProcessing("change");
    if (!j) return false;
    q.getJobById(j.id);
    q.markJobAsDone(j.id);
    return true;
  };
  return {
    enqueueOne: (cr) => void q.add("change", cr),
    enqueueMany: (crs) => void q.addMany("change", crs),
    cycle,
    // No batch lease in plainjob: its drain is one job at a time.
    drainBatch: (k) => {
      let n = 0;
      while (n < k && cycle()) n++;
      return n;
    },
    workerLoop: async () => {
      const total = q.countJobs({ type: "change" });
      let n = 0;
      let finish = () => {};
      const finished = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const w = defineWorker(
        "change",
        () => {
          if (++n === total) finish();
        },
        { queue: q, logger: silent, pollIntervall: 1 },
      );
      void w.start();
      await finished;
      await w.stop();
      return n;
    },
    close: () => {
      q.close();
      db.close();
    },
  };
};

export const openSystem = (name: SystemName, path: string, worker = "w0"): System =>
  name === "hyperion" ? hyperion(path, worker) : name === "raw" ? raw(path, worker) : plainjob(path);

/** `n` more changed lines (removed and added) in a patch: 100 make a payload of about 6 KB. */
const bigHunk = (n: number) =>
  n === 0
    ? ""
    : `@@ -10,${n} +10,${n} @@\n${Array.from({ length: n }, (_, l) => `-old line ${l} of the file\n`).join("")}${Array.from({ length: n }, (_, l) => `+new line ${l} of the file\n`).join("")}`;

/** A realistic change request: one file, a short unified diff (`lines` adds a larger hunk). */
export const makeChanges = (
  count: number,
  opts: { prefix?: string; hot?: number; lines?: number } = {},
): ChangeRequest[] =>
  Array.from({ length: count }, (_, i) => {
    const hot = opts.hot !== undefined && i % opts.hot === 0;
    const path = hot ? "src/hot.ts" : `src/${opts.prefix ?? "m"}/f${i}.ts`;
    return {
      task_id: `t-${i % 97}`,
      request_id: "r-bench",
      agent: "bench",
      summary: `bench change ${i}`,
      changes: [
        {
          path,
          operation: "modify",
          patch: `--- a/${path}\n+++ b/${path}\n@@ -1,3 +1,3 @@\n line one\n-line two\n+line 2\n line three\n${bigHunk(opts.lines ?? 0)}`,
          base_sha256: "a".repeat(64),
          new_sha256: "b".repeat(64),
        },
      ],
    };
  });
