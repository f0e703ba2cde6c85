/**
 * `bun run bench:load`: the queue under load, end to end. N small changes (one line of one file
 * each) over 10,000 files are enqueued in batches of 1,000 (`queue.enqueue`; and, for the first
 * 10,000, into a second repository through `submitChanges`, the validation `hyperion enqueue`
 * does), drained to completion by `startRun`
 * with the default configuration (workers, watcher), then archived (`queue.archive`, which also
 * gives the freed pages back). Reported per size: enqueue and drain rates, archive time, the
 * database's size before and after archival, the process's peak RSS, and the time of the
 * integrity check `run` makes before it starts. Sizes 10k, 20k and 100k show whether archival
 * grows linearly (its time per change should stay flat). Anchors, in the same process: for
 * enqueue, plain INSERTs of rows as large as the queue's into a one-table database, same batches;
 * for archival (smallest size), the same rows archived without the journal_id indexes.
 * For drain, the anchor is the same queue drained in a second repository with the watcher off
 * (`watch: false`): what watching the tree costs. The two drains alternate which goes first.
 * Each size runs in a fresh process, so its peak RSS is its own.
 */
import { Database } from "bun:sqlite";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { makeFileChange } from "../lib/patch/index.ts";
import { createQueue } from "../lib/queue/index.ts";
import { startRun, submitChanges } from "../lib/runtime/index.ts";
import type { ChangeRequest } from "../lib/schema/index.ts";
import { checkIntegrity, initRepo, openDatabase, openRepo, readSecret } from "../lib/store/index.ts";
import { dbBytes } from "../lib/store/vacuum.ts";

const FILES = 10_000;
const median = (xs: number[]) =>
  xs.length === 0 ? 0 : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const BATCH = 1_000;
const SIZES = (process.env.BENCH_SIZES ?? "10000,20000,100000").split(",").map(Number);

const content = (i: number, v: number) => `f${i} v${v}\nline 2\nline 3\nline 4\nline 5\n`;
const pathOf = (i: number) => `src/d${i % 100}/f${i}.txt`;

type Result = {
  changes: number;
  enqueue_per_s: number;
  submit_per_s: number;
  anchor_insert_per_s: number;
  drain_per_s: number;
  unwatched_drain_per_s: number;
  drain_cpu_ms: number;
  unwatched_drain_cpu_ms: number;
  applied: number;
  workers: number;
  quick_check_ms: number;
  archive_ms: number;
  /** The median batch's time per 1,000 changes. */
  archive_median_batch_ms: number;
  unindexed_archive_ms: number | null;
  archived: number;
  db_bytes_before: number;
  wal_bytes_before: number;
  db_bytes_after: number;
  peak_rss_mb: number;
};

/** A fresh repository holding the 10,000 files at version 0. */
const tree = (): string => {
  const repo = mkdtempSync(join(tmpdir(), "hyperion-bench-load-"));
  for (let i = 0; i < FILES; i++) {
    const p = join(repo, pathOf(i));
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content(i, 0));
  }
  initRepo({ repo });
  return repo;
};

/**
 * Drains `repo` to completion as `hyperion run --until-empty` does; the watcher on or off. Its
 * CPU time (every thread of the process: workers, watcher, main) is steadier than its rate on a
 * shared machine, where the rate follows whatever else runs.
 */
const drain = async (
  repo: string,
  watch: boolean,
): Promise<{ ms: number; cpu_ms: number; applied: number }> => {
  const t = performance.now();
  const cpu = process.cpuUsage();
  const runner = startRun({
    repo,
    untilEmpty: true,
    progressIntervalMs: 3_600_000,
    onProgress: () => {},
    watch,
  });
  const summary = await runner.done;
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - t, cpu_ms: (used.user + used.system) / 1000, applied: summary.applied };
};

const one = async (n: number, unwatchedFirst: boolean): Promise<Result> => {
  const repo = tree();
  const side = tree();
  const unwatched = tree();
  try {
    const version = new Array<number>(FILES).fill(0);
    const crs: ChangeRequest[] = Array.from({ length: n }, (_, k) => {
      const i = k % FILES;
      const v = ++version[i]!;
      return { task_id: `load-${k}`, changes: [makeFileChange(pathOf(i), content(i, v - 1), content(i, v))] };
    });

    // The anchor: the same number of rows, as large as a queued change's, in the same batches.
    const scratch = join(repo, "anchor.db");
    const raw = new Database(scratch);
    raw.run("PRAGMA journal_mode = WAL");
    raw.run("PRAGMA synchronous = NORMAL");
    raw.run("CREATE TABLE t (id INTEGER PRIMARY KEY, task TEXT, payload TEXT)");
    const ins = raw.prepare("INSERT INTO t (task, payload) VALUES (?, ?)");
    const insertBatch = raw.transaction((rows: ChangeRequest[]) => {
      for (const cr of rows) ins.run(cr.task_id, JSON.stringify(cr));
    });
    let t = performance.now();
    for (let at = 0; at < n; at += BATCH) insertBatch.immediate(crs.slice(at, at + BATCH));
    const anchorMs = performance.now() - t;
    raw.close();
    rmSync(scratch, { force: true });

    // What `hyperion enqueue` does with a file of 1,000: validate each change against the tree
    // (hashes, paths, the changes ahead), sign, insert. Its own repository, the first 10,000.
    const submitted = Math.min(n, FILES);
    let submitMs: number;
    {
      using r = openRepo({ repo: side });
      const queue = createQueue(r.db, { secret: readSecret(r.loc), config: r.config.queue });
      t = performance.now();
      for (let at = 0; at < submitted; at += BATCH) {
        const { rejected } = submitChanges(r, queue, crs.slice(at, Math.min(at + BATCH, submitted)));
        if (rejected.length > 0) throw new Error(`submit rejected ${JSON.stringify(rejected[0])}`);
      }
      submitMs = performance.now() - t;
    }
    rmSync(side, { recursive: true, force: true });

    let enqueueMs: number;
    {
      using r = openRepo({ repo });
      const queue = createQueue(r.db, { secret: readSecret(r.loc), config: r.config.queue });
      t = performance.now();
      for (let at = 0; at < n; at += BATCH) queue.enqueue(crs.slice(at, at + BATCH));
      enqueueMs = performance.now() - t;
      t = performance.now();
      checkIntegrity(r.db);
    }
    const quickCheckMs = performance.now() - t;
    {
      using r = openRepo({ repo: unwatched });
      const queue = createQueue(r.db, { secret: readSecret(r.loc), config: r.config.queue });
      for (let at = 0; at < n; at += BATCH) queue.enqueue(crs.slice(at, at + BATCH));
    }

    const anchorDrain = unwatchedFirst ? await drain(unwatched, false) : null;
    const drained = await drain(repo, true);
    const unwatchedDrain = anchorDrain ?? (await drain(unwatched, false));
    if (unwatchedDrain.applied !== n)
      throw new Error(`the unwatched drain applied ${unwatchedDrain.applied}`);
    rmSync(unwatched, { recursive: true, force: true });

    using r = openRepo({ repo });
    const queue = createQueue(r.db, { secret: readSecret(r.loc), config: r.config.queue });
    // Everything checkpointed first, so "before" counts the data, not a WAL left by the run.
    // The run's worker threads may still be closing their connections: wait for them (bounded).
    const deadline = Date.now() + 30_000;
    let cp = { busy: 1 };
    while (Date.now() < deadline) {
      cp = r.db.query("PRAGMA wal_checkpoint(TRUNCATE)").get() as { busy: number };
      if (cp.busy === 0) break;
      await Bun.sleep(50);
    }
    if (cp.busy !== 0) console.error(`checkpoint before archival incomplete: ${JSON.stringify(cp)}`);
    const before = dbBytes(r.loc.db);
    const walBefore = dbBytes(r.loc.db) - (Bun.file(r.loc.db).size ?? 0);
    // The anchor for archival: the same rows archived from a copy without the journal_id indexes
    // (as before migration 5), where each deleted journal entry scans two tables. Smallest size only.
    let unindexedMs: number | null = null;
    if (n === Math.min(...SIZES)) {
      const copy = join(repo, "unindexed.db");
      copyFileSync(r.loc.db, copy);
      const db = openDatabase(copy);
      db.run("DROP INDEX pre_images_journal");
      db.run("DROP INDEX file_modifications_journal");
      const q = createQueue(db, {
        secret: readSecret(r.loc),
        config: r.config.queue,
        archiveDir: join(repo, "unindexed-archive"),
      });
      t = performance.now();
      if (q.archive({ olderThanMs: 0 }).moved !== n) throw new Error("the unindexed archive moved too few");
      unindexedMs = performance.now() - t;
      db.close();
    }
    t = performance.now();
    // Each batch's time per change, beside the total: the disk's swings (it may still be writing
    // back what the drain wrote) fall on whole phases of batches, and the median batch is what a
    // batch costs at this size.
    const perBatch: number[] = [];
    const archived = queue.archive({
      olderThanMs: 0,
      onBatch: (changes, ms) => {
        if (changes > 0) perBatch.push((ms / changes) * 1000);
      },
    });
    const archiveMs = performance.now() - t;
    return {
      changes: n,
      enqueue_per_s: n / (enqueueMs / 1000),
      submit_per_s: submitted / (submitMs / 1000),
      anchor_insert_per_s: n / (anchorMs / 1000),
      drain_per_s: drained.applied / (drained.ms / 1000),
      unwatched_drain_per_s: unwatchedDrain.applied / (unwatchedDrain.ms / 1000),
      drain_cpu_ms: drained.cpu_ms,
      unwatched_drain_cpu_ms: unwatchedDrain.cpu_ms,
      applied: drained.applied,
      workers: r.config.workers,
      quick_check_ms: quickCheckMs,
      archive_ms: archiveMs,
      archive_median_batch_ms: median(perBatch),
      unindexed_archive_ms: unindexedMs,
      archived: archived.moved,
      db_bytes_before: before,
      wal_bytes_before: walBefore,
      db_bytes_after: dbBytes(r.loc.db),
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    rmSync(repo, { recursive: true, force: true });
    rmSync(side, { recursive: true, force: true });
    rmSync(unwatched, { recursive: true, force: true });
  }
};

if (process.argv[2] === "--one") {
  console.log(JSON.stringify(await one(Number(process.argv[3]), process.argv[4] === "unwatched-first")));
} else {
  console.log(
    `bench:load — ${new Date().toISOString()} — bun ${Bun.version}, ${navigator.hardwareConcurrency} cores; ${FILES} files, batches of ${BATCH}\n`,
  );
  const results: Result[] = [];
  for (const [i, n] of SIZES.entries()) {
    const order = i % 2 === 0 ? "watched-first" : "unwatched-first";
    const child = Bun.spawn([process.execPath, import.meta.path, "--one", String(n), order], {
      stdout: "pipe",
      stderr: "inherit",
    });
    const out = await new Response(child.stdout).text();
    if ((await child.exited) !== 0) throw new Error(`the ${n} run failed: ${out}`);
    const r = JSON.parse(out.trim().split("\n").at(-1)!) as Result;
    if (r.applied !== n || r.archived !== n)
      throw new Error(`${n}: applied ${r.applied}, archived ${r.archived}`);
    results.push(r);
    const mb = (b: number) => (b / 1048576).toFixed(1);
    console.log(
      `${String(n).padStart(7)} changes: enqueue ${r.enqueue_per_s.toFixed(0)}/s (anchor, plain INSERT: ${r.anchor_insert_per_s.toFixed(0)}/s; validated as \`hyperion enqueue\` does: ${r.submit_per_s.toFixed(0)}/s)` +
        `  drain ${r.drain_per_s.toFixed(0)}/s with ${r.workers} workers (anchor, watcher off: ${r.unwatched_drain_per_s.toFixed(0)}/s, ${order}; CPU per 1,000: ${((r.drain_cpu_ms / n) * 1000).toFixed(0)} ms, off ${((r.unwatched_drain_cpu_ms / n) * 1000).toFixed(0)} ms)  quick_check ${r.quick_check_ms.toFixed(0)} ms` +
        `  archive ${(r.archive_ms / 1000).toFixed(2)} s (${((r.archive_ms / n) * 1000).toFixed(0)} ms per 1,000, median batch ${r.archive_median_batch_ms.toFixed(0)}` +
        (r.unindexed_archive_ms === null
          ? ")"
          : `; anchor, without the journal_id indexes: ${(r.unindexed_archive_ms / 1000).toFixed(2)} s)`) +
        `  db ${mb(r.db_bytes_before)} MB (WAL ${mb(r.wal_bytes_before)}) -> ${mb(r.db_bytes_after)} MB  peak RSS ${r.peak_rss_mb.toFixed(0)} MB`,
    );
  }
  const perChange = results.map((r) => r.archive_ms / r.changes);
  const perBatch = results.map((r) => r.archive_median_batch_ms);
  console.log(
    `\narchive time per change, largest over smallest size: ${(perChange.at(-1)! / perChange[0]!).toFixed(2)}x overall, ${(perBatch.at(-1)! / perBatch[0]!).toFixed(2)}x by the median batch (1.0 is linear)`,
  );
}
