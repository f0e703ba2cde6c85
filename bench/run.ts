/**
 * `bun run bench:run`: end-to-end changes per second through the runtime (lease, verify, apply
 * atomically, complete) with 1, 2 and 3 worker threads, beside the same loop on one thread in
 * process (the anchor), for small and for 200-line patches. Enqueueing is not timed; each run is
 * a fresh process (see measure). Each line also says how many cores the run kept busy (CPU time
 * of all its threads, user and system, over wall time) and what share of it the database's
 * write lock was held (the run summary's write_lock).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { makeFileChange } from "../lib/patch/index.ts";
import { createQueue } from "../lib/queue/index.ts";
import { startRun } from "../lib/runtime/index.ts";
import type { ChangeRequest } from "../lib/schema/index.ts";
import { initRepo, openRepo, readSecret } from "../lib/store/index.ts";

type Shape = { name: string; files: number; lines: number; changed: number; changes: number };
const SHAPES: Shape[] = [
  { name: "small (1-line patches)", files: 1_000, lines: 20, changed: 1, changes: 5_000 },
  { name: "200-line patches", files: 500, lines: 400, changed: 200, changes: 2_000 },
];
const MODES = [
  { label: "in-process loop (anchor)", workers: 0 },
  { label: "1 worker", workers: 1 },
  { label: "2 workers", workers: 2 },
  { label: "3 workers", workers: 3 },
];

const content = (i: number, lines: number, version: number, changed: number) =>
  `${Array.from({ length: lines }, (_, l) =>
    l < changed && version > 0 ? `f${i} l${l} v${version}` : `f${i} l${l}`,
  ).join("\n")}\n`;

const prepare = (shape: Shape): string => {
  const repo = mkdtempSync(join(tmpdir(), "hyperion-bench-run-"));
  for (let i = 0; i < shape.files; i++) {
    const path = join(repo, `src/d${i % 20}/f${i}.txt`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content(i, shape.lines, 0, shape.changed));
  }
  initRepo({ repo });
  const version = new Array<number>(shape.files).fill(0);
  const crs: ChangeRequest[] = Array.from({ length: shape.changes }, (_, n) => {
    const i = n % shape.files;
    const v = ++version[i]!;
    const path = `src/d${i % 20}/f${i}.txt`;
    return {
      task_id: `bench-${n}`,
      changes: [
        makeFileChange(
          path,
          content(i, shape.lines, v - 1, shape.changed),
          content(i, shape.lines, v, shape.changed),
        ),
      ],
    };
  });
  using r = openRepo({ repo });
  const queue = createQueue(r.db, { secret: readSecret(r.loc), config: r.config.queue });
  for (let at = 0; at < crs.length; at += 500) queue.enqueue(crs.slice(at, at + 500));
  return repo;
};

/**
 * One run in a fresh process, so every configuration starts equally cold: in one long-lived
 * process the in-process loop would run on a thread whose JIT the earlier runs (and the
 * preparation) had warmed, while each Worker starts from nothing.
 */
/**
 * Repositories are deleted only once every run is done: this disk's ext4 has no journal, and then
 * ext4 skips inodes freed in the last ~30 s when it allocates one, so a run right after a deletion
 * would pay for it in every file it creates (see the Apply section of docs/PERFORMANCE.md).
 */
const made: string[] = [];

const measure = async (shape: Shape, workers: number) => {
  const repo = prepare(shape);
  made.push(repo);
  const child = Bun.spawn([process.execPath, import.meta.path, "--one", repo, String(workers)], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const out = await new Response(child.stdout).text();
  if ((await child.exited) !== 0) throw new Error(`the run failed: ${out}`);
  const { applied, ms, cpuMs, lockMs } = JSON.parse(out) as {
    applied: number;
    ms: number;
    cpuMs: number;
    lockMs: number;
  };
  if (applied !== shape.changes) throw new Error(`applied ${applied} of ${shape.changes}`);
  return { rate: shape.changes / (ms / 1000), cores: cpuMs / ms, lock: lockMs / ms };
};

/** The child: drains the prepared queue with `workers` (0: on this thread) and reports. */
const runOne = async (repo: string, workers: number) => {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const runner = startRun({
    repo,
    workers,
    untilEmpty: true,
    progressIntervalMs: 3_600_000,
    format: "json",
    watch: false,
  });
  const originalWrite = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write; // the summary line is ours to print
  const summary = await runner.done;
  process.stdout.write = originalWrite;
  // CPU time of every thread of the process (user + system), to tell how many cores a run kept busy.
  const cpu = process.cpuUsage(cpu0);
  console.log(
    JSON.stringify({
      applied: summary.applied,
      ms: performance.now() - t0,
      cpuMs: (cpu.user + cpu.system) / 1000,
      lockMs: summary.write_lock?.held_ms ?? 0,
    }),
  );
};

if (process.argv[2] === "--one") {
  await runOne(process.argv[3]!, Number(process.argv[4]));
} else {
  console.log(
    `bench:run — ${new Date().toISOString()} — bun ${Bun.version}, ${navigator.hardwareConcurrency} cores\n`,
  );
  try {
    const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
    for (const shape of SHAPES) {
      console.log(
        `${shape.name}: ${shape.changes} changes over ${shape.files} files of ${shape.lines} lines`,
      );
      // The machine is shared and its speed drifts over minutes: every round runs each mode once,
      // in a rotating order, and each mode keeps its best round.
      const best = new Map<number, Awaited<ReturnType<typeof measure>>>();
      for (let round = 0; round < ROUNDS; round++) {
        for (let k = 0; k < MODES.length; k++) {
          const mode = MODES[(k + round) % MODES.length]!;
          const m = await measure(shape, mode.workers);
          if (m.rate > (best.get(mode.workers)?.rate ?? 0)) best.set(mode.workers, m);
        }
      }
      const rateOf = (workers: number) => best.get(workers)!.rate;
      for (const mode of MODES) {
        const { rate, cores, lock } = best.get(mode.workers)!;
        console.log(
          `  ${mode.label.padEnd(26)} ${rate.toFixed(0).padStart(7)} changes/s  ${(rate / rateOf(0)).toFixed(2)}x anchor` +
            (mode.workers > 1 ? `  ${(rate / rateOf(1)).toFixed(2)}x 1 worker` : "") +
            `  ${cores.toFixed(2)} cores busy  write lock busy ${(100 * lock).toFixed(0)}%`,
        );
      }
      // What 2 workers could reach at most, from the 1-worker run: the machine has `cores` cores
      // and one worker already keeps `c` of them busy (its thread and the file-system threads),
      // so at most cores / c; SQLite takes one writer at a time and one worker held the lock a
      // share s of its run, so at most 1 / s. Contention comes on top of both.
      const one = best.get(1)!;
      const cores = navigator.hardwareConcurrency;
      console.log(
        `  ceiling for 2 workers: ${Math.min(2, cores / one.cores).toFixed(2)}x 1 worker by cores (${cores} / ${one.cores.toFixed(2)}), ` +
          `${Math.min(2, 1 / one.lock).toFixed(2)}x by the write lock (1 / ${one.lock.toFixed(2)})`,
      );
      console.log("");
    }
  } finally {
    for (const repo of made) rmSync(repo, { recursive: true, force: true });
  }
}
